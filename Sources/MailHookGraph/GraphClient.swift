import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOHTTP1

/// A Microsoft Graph client on AsyncHTTPClient. Every call gets an app-only token, holds one of
/// the mailbox's 4 permits, has a deadline, is retried on 429/503/504 and transport failures
/// (waiting as `Retry-After` says, else exponential backoff with jitter), and goes through a
/// circuit breaker that opens after repeated failures.
public final class GraphClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        public var json: JSONValue? { try? JSONValue.parse(body.readableBytesView) }
    }

    public let baseURL: String
    let httpClient: HTTPClient
    let tokens: TokenProvider
    let limiter: MailboxLimiter
    public let breaker: CircuitBreaker
    let retry: RetryPolicy
    let timeout: Duration
    /// The largest answer read: a message with its text body and the headers asked for is far
    /// smaller; a larger one is refused, not retried (it would be as large the next time).
    let maxAnswerBytes: Int
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void

    public init(
        baseURL: String, httpClient: HTTPClient, tokens: TokenProvider, limiter: MailboxLimiter = MailboxLimiter(),
        breaker: CircuitBreaker = CircuitBreaker(), retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(30),
        maxAnswerBytes: Int = 32 << 20, logger: Logger, sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxAnswerBytes = maxAnswerBytes
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.httpClient = httpClient
        self.tokens = tokens
        self.limiter = limiter
        self.breaker = breaker
        self.retry = retry
        self.timeout = timeout
        self.logger = logger
        self.sleep = sleep
    }

    /// The token endpoint's breaker state (for `/ready`).
    public var tokenBreakerState: CircuitBreaker.State { tokens.breaker.state }

    /// Whether an application token is cached and fresh (for `/ready`).
    public func hasCachedToken() async -> Bool { await tokens.hasUsableToken }

    /// Builds a client for the configured tenant, or nil when Graph is off; a certificate
    /// credential is read now, so a wrong file stops the start naming its key.
    public static func make(configuration graph: MailHookConfiguration.Graph, httpClient: HTTPClient, logger: Logger) throws(ConfigError) -> GraphClient? {
        guard graph.enabled, let tenant = graph.tenantId, let clientId = graph.clientId, let credential = try credential(graph) else { return nil }
        let tokens = TokenProvider(
            credentials: .init(authorityHost: graph.authorityHost, tenantId: tenant, clientId: clientId, credential: credential,
                               scope: scope(forBaseURL: graph.baseUrl)),
            httpClient: httpClient, logger: logger)
        return GraphClient(baseURL: graph.baseUrl, httpClient: httpClient, tokens: tokens, logger: logger)
    }

    /// The app's configured credential: its certificate (read from the files) or its client secret.
    public static func credential(_ graph: MailHookConfiguration.Graph) throws(ConfigError) -> TokenProvider.ClientCredential? {
        guard graph.enabled else { return nil }
        if let certificateFile = graph.certificateFile, let privateKeyFile = graph.privateKeyFile {
            return .certificate(try ClientCertificate.load(certificateFile: certificateFile, privateKeyFile: privateKeyFile))
        }
        return graph.clientSecret.map { .secret($0) }
    }

    /// `https://graph.microsoft.com/v1.0` → `https://graph.microsoft.com/.default` (national clouds alike).
    public static func scope(forBaseURL base: String) -> String {
        guard let url = URLComponents(string: base), let scheme = url.scheme, let host = url.host else { return "https://graph.microsoft.com/.default" }
        let port = url.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)/.default"
    }

    /// `scheme://host:port` of a URL, lower-cased, with the scheme's default port filled in; nil
    /// when it has no host.
    static func origin(_ text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(host):\(port)"
    }

    /// Sends one Graph request with every policy applied. `path` is relative to the base URL
    /// (`/subscriptions`) or an absolute URL (an `@odata.nextLink`). Non-2xx answers that are
    /// not retried become ``GraphError``. `tokens` replaces the app's own token source (a user's
    /// delegated tokens, for Teams chat messages).
    public func send(
        _ method: HTTPMethod, _ path: String, mailbox: String? = nil, body: JSONValue? = nil, prefer: [String] = [],
        tokens source: (any GraphTokenSource)? = nil, idempotent: Bool? = nil
    ) async throws -> Response {
        let tokens: any GraphTokenSource = source ?? self.tokens
        let absolute = path.hasPrefix("http://") || path.hasPrefix("https://")
        // A link comes from an answer (or a stored delta link): the token goes to Graph only.
        guard !absolute || Self.origin(path) == Self.origin(baseURL) else {
            throw GraphError(kind: .decoding, code: "foreign_link", message: "a link to a host other than Graph's was not followed")
        }
        let url = absolute ? path : baseURL + path
        // A POST that sends or creates something must not be repeated when its outcome is unknown
        // (a timeout, a reset): only an answer that says it was not processed (429, 503) is retried.
        let repeatable = idempotent ?? (method != .POST)
        var attempt = 0
        var refreshedToken = false
        while true {
            attempt += 1
            // A cancelled caller (shutdown) stops retrying.
            try Task.checkCancellation()
            guard breaker.allow() else {
                throw GraphError(kind: .circuitOpen, code: "circuit_open", message: "Graph calls are paused after repeated failures")
            }
            // Every attempt ends with a verdict on Graph's health, or releases a half-open probe.
            var verdict: Bool?
            defer {
                switch verdict {
                case true?: breaker.recordSuccess()
                case false?: breaker.recordFailure()
                case nil: breaker.releaseProbe()
                }
            }
            let outcome: Result<Response, GraphError>
            var token = ""
            do {
                token = try await tokens.token()
                let response = try await limiter.withPermit(mailbox: mailbox) {
                    try await self.execute(method, url, token: token, body: body, prefer: prefer)
                }
                outcome = .success(response)
            } catch let error as GraphError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(GraphError(kind: .transport, code: "transport", message: "\(type(of: error)): no answer from Graph"))
            }

            switch outcome {
            case .success(let response) where (200..<300).contains(response.status):
                verdict = true
                return response
            case .success(let response):
                let error = Self.error(from: response)
                if response.status == 401, !refreshedToken {
                    // The token may have been revoked or expired early: fetch a new one once.
                    refreshedToken = true
                    await tokens.invalidate(token)
                    attempt -= 1
                    continue
                }
                verdict = response.status < 500
                let notProcessed = response.status == 429 || response.status == 503
                guard RetryPolicy.isRetryable(status: response.status), repeatable || notProcessed, attempt < retry.maxAttempts else { throw error }
                let wait = RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After")) ?? retry.backoff(attempt: attempt)
                guard wait <= retry.maxRetryAfter else { throw error }
                logger.notice("Graph asked to retry", metadata: [
                    "mailhook.graph.status": "\(response.status)", "mailhook.graph.code": "\(error.code)",
                    "mailhook.graph.wait_ms": "\(Int(wait / .milliseconds(1)))", "mailhook.graph.attempt": "\(attempt)",
                ])
                try await sleep(wait)
            case .failure(let error):
                // The token endpoint has its own breaker: its failures say nothing about Graph.
                if error.kind == .authentication || error.kind == .circuitOpen { throw error }
                // Graph answered, too much: it is up, and asking again gets the same answer.
                if error.kind == .decoding {
                    verdict = true
                    throw error
                }
                verdict = false
                guard repeatable, attempt < retry.maxAttempts else { throw error }
                try await sleep(retry.backoff(attempt: attempt))
            }
        }
    }

    private func execute(_ method: HTTPMethod, _ url: String, token: String, body: JSONValue?, prefer: [String]) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if !prefer.isEmpty { request.headers.add(name: "Prefer", value: prefer.joined(separator: ", ")) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.jsonText()))
        }
        let prepared = request
        let (client, logger, limit) = (httpClient, logger, maxAnswerBytes)
        do {
            // The whole exchange, body included, within the timeout.
            return try await withTimeLimit(timeout) {
                let response = try await client.execute(prepared, timeout: .seconds(3600), logger: logger)
                let bytes = try await response.body.collect(upTo: limit)
                return Response(status: Int(response.status.code), headers: response.headers, body: bytes)
            }
        } catch is TimeLimitExceeded {
            throw HTTPClientError.deadlineExceeded
        } catch is NIOTooManyBytesError {
            throw GraphError(kind: .decoding, code: "answer_too_large", message: "Graph's answer was larger than \(limit) bytes")
        }
    }

    static func error(from response: Response) -> GraphError {
        let json = response.json
        let code = json?["error"]?["code"]?.stringValue ?? "HTTP\(response.status)"
        let message = json?["error"]?["message"]?.stringValue ?? "status \(response.status)"
        let requestId = response.headers.first(name: "request-id") ?? response.headers.first(name: "client-request-id")
            ?? json?["error"]?["innerError"]?["request-id"]?.stringValue
        return GraphError(kind: .http, status: response.status, code: code, message: message, requestId: requestId)
    }
}
