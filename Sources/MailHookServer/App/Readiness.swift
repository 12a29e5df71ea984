import Foundation
import Hummingbird
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// How one dependency stands, as `GET /ready` reports it.
enum DependencyStatus: String, Encodable {
    case up
    /// Reachable but failing often enough that its circuit breaker is open or probing.
    case degraded
    case down
    /// Not configured.
    case off
}

/// `GET /ready`: 200 while the database answers, 503 when it does not. Acknowledging an event needs
/// the database only; Graph, the subscriptions and the LLM are reported so an operator sees what is
/// degraded, but only to a caller with the admin token, because the report names mailboxes.
struct ReadinessProbe: Sendable {
    let store: any DataStore
    let graph: GraphClient?
    let llm: LLMEndpointReport?
    let adminToken: Secret?
    let metrics: ServerMetrics

    /// The LLM endpoint as reported: where it is (scheme, host and port only) and its breaker.
    struct LLMEndpointReport: Sendable {
        let endpoint: String
        let breaker: CircuitBreaker
    }

    struct Report: Encodable {
        var status: AnswerStatus
        var database: String
        var dependencies: Dependencies?
    }

    struct Dependencies: Encodable {
        var database: DependencyStatus
        var graph: GraphReport
        var subscriptions: [SubscriptionReport]
        var llm: LLMReport
    }

    struct GraphReport: Encodable {
        var status: DependencyStatus
        var breaker: CircuitBreaker.State?
        var tokenEndpoint: CircuitBreaker.State?
        var tokenCached: Bool?

        enum CodingKeys: String, CodingKey {
            case status, breaker
            case tokenEndpoint = "token_endpoint"
            case tokenCached = "token_cached"
        }
    }

    struct SubscriptionReport: Encodable {
        var mailbox: String
        var status: SubscriptionStatus
        var expiresAt: String?
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case mailbox, status
            case expiresAt = "expires_at"
            case lastError = "last_error"
        }
    }

    struct LLMReport: Encodable {
        var status: DependencyStatus
        var endpoint: String?
        var breaker: CircuitBreaker.State?
    }

    func respond(_ request: Request, logger: Logger) async -> Response {
        var databaseUp = true
        do {
            try await store.ping()
        } catch {
            databaseUp = false
            metrics.storeError(operation: "ping")
            logger.warning("readiness check failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        var report = Report(status: databaseUp ? .ready : .unavailable, database: store.kind.rawValue)
        if let adminToken, WebhookSignature.verifyBearer(authorization: request.headers[.authorization], token: adminToken) == .valid {
            report.dependencies = await dependencies(databaseUp: databaseUp)
        }
        return JSONResponse.response(databaseUp ? .ok : .serviceUnavailable, report)
    }

    private func dependencies(databaseUp: Bool) async -> Dependencies {
        var graphReport = GraphReport(status: .off)
        if let graph {
            let breaker = graph.breaker.state
            let tokens = graph.tokenBreakerState
            graphReport = GraphReport(
                status: breaker == .closed && tokens == .closed ? .up : .degraded, breaker: breaker, tokenEndpoint: tokens,
                tokenCached: await graph.hasCachedToken())
        }
        let rows = databaseUp ? ((try? await store.subscriptionRows()) ?? []) : []
        let subscriptions = rows.map {
            SubscriptionReport(mailbox: $0.mailbox, status: $0.status, expiresAt: $0.expiration.map(Self.timestamp), lastError: $0.lastError)
        }
        var llmReport = LLMReport(status: .off)
        if let llm {
            let state = llm.breaker.state
            llmReport = LLMReport(status: state == .closed ? .up : .degraded, endpoint: llm.endpoint, breaker: state)
        }
        return Dependencies(database: databaseUp ? .up : .down, graph: graphReport, subscriptions: subscriptions, llm: llmReport)
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// `scheme://host[:port]` of a URL: enough to say which endpoint, nothing of a path or query that might carry a key.
    static func origin(of url: String) -> String {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, let host = parts.host else { return "(unparsable URL)" }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
    }
}

extension CircuitBreaker.State: Encodable {}
