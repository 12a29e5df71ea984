import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore
import NIOCore
import NIOHTTP1

/// Makes the pipeline's external actions exactly once per email. Each action has an idempotency
/// key (`<email id>|<action>`); its record is written before the call and completed after it:
///
/// - a completed record is never repeated (a retry or a reclaimed item skips it);
/// - a record still `started` from an earlier attempt means the outcome is unknown (a crash or a
///   timeout mid-call): the action is reconciled with Graph where Graph can tell (a reply in Sent
///   Items, a chat with the same topic) before anything is sent again;
/// - in dry-run, the record holds the exact request and nothing is called.
struct ActionExecutor: Sendable {
    let store: any MailHookStore
    let graph: GraphClient?
    let delegatedTokens: (any GraphTokenSource)?
    let httpClient: HTTPClient?
    let workflowURL: Secret?
    let live: Bool
    let metrics: ServerMetrics
    let logger: Logger

    struct Context: Sendable {
        var inboxId: Int64
        var emailId: String
        /// The inbox row's attempt (1 for the first).
        var attempt: Int
    }

    /// What reconciliation found: a result to record, or nil when the action did not happen.
    typealias Reconcile = @Sendable (ActionRecord) async throws -> JSONValue?

    /// Runs one action. `recordOnly` records it like dry-run (no Graph message to act on).
    func run(
        _ action: String, request: JSONValue, context: Context, recordOnly: Bool = false, reconcile: Reconcile? = nil,
        call: @Sendable () async throws -> JSONValue
    ) async throws -> ActionRecord {
        let key = "\(context.emailId)|\(action)"
        let performs = live && !recordOnly
        var record = try await store.beginAction(ActionRecord(
            inboxId: context.inboxId, emailId: context.emailId, action: action, idempotencyKey: key,
            mode: performs ? "live" : "dry-run", request: request.jsonText()))
        if record.status == "completed" {
            logger.debug("action already done", metadata: ["mailhook.action": "\(action)", "mailhook.email": "\(context.emailId)"])
            return record
        }
        guard performs else {
            let note: JSONValue = .object(["dryRun": .bool(true), "reason": .string(recordOnly ? "no Graph message to act on" : "actions.mode is dry-run")])
            try await finish(&record, status: "completed", result: note, action: action)
            return record
        }
        if record.status == "started", context.attempt > 1, let reconcile {
            if let found = try await reconcile(record) {
                logger.notice("action found done after an interrupted attempt", metadata: ["mailhook.action": "\(action)", "mailhook.email": "\(context.emailId)"])
                try await finish(&record, status: "completed", result: found, action: action)
                return record
            }
        }
        let result: JSONValue
        do {
            result = try await call()
        } catch let error as GraphError where error.kind == .http && (error.status.map { (400..<500).contains($0) && $0 != 408 && $0 != 429 } ?? false) {
            // Graph refused the request outright: it did not happen, so a later attempt may try again.
            try await finish(&record, status: "failed", result: .object(["error": .string(error.description)]), action: action)
            throw error
        }
        // Any other failure leaves the record `started`: the outcome is unknown until reconciled.
        try await finish(&record, status: "completed", result: result, action: action)
        return record
    }

    private func finish(_ record: inout ActionRecord, status: String, result: JSONValue, action: String) async throws {
        let text = result.jsonText()
        try await store.finishAction(idempotencyKey: record.idempotencyKey, status: status, result: text)
        record.status = status
        record.result = text
        metrics.action(action, mode: record.mode, outcome: status)
    }

    // MARK: The actions

    func graphCall(_ request: GraphActionRequest, mailbox: String?) -> @Sendable () async throws -> JSONValue {
        { [graph, delegatedTokens] in
            guard let graph else { throw GraphError(kind: .authentication, code: "graph_not_configured", message: "graph is not configured") }
            let response = try await graph.perform(request, mailbox: mailbox, delegatedTokens: delegatedTokens)
            var out: [String: JSONValue] = ["status": .number(Double(response.status))]
            if let json = response.json {
                for key in ["id", "webUrl", "chatId"] { if let value = json[key] { out[key] = value } }
            }
            return .object(out)
        }
    }

    /// POSTs an Adaptive Card message to the Teams workflow URL (a secret: it carries a signature).
    func workflowCall(_ card: JSONValue) -> @Sendable () async throws -> JSONValue {
        { [httpClient, workflowURL] in
            guard let httpClient, let workflowURL else {
                throw GraphError(kind: .authentication, code: "workflow_not_configured", message: "teams.workflowUrl is not configured")
            }
            var request = HTTPClientRequest(url: workflowURL.value)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: card.jsonText()))
            let response = try await httpClient.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            guard (200..<300).contains(Int(response.status.code)) else {
                throw GraphError(kind: .http, status: Int(response.status.code), code: "workflow_refused",
                                 message: "the Teams workflow answered \(response.status.code)")
            }
            return .object(["status": .number(Double(response.status.code))])
        }
    }
}
