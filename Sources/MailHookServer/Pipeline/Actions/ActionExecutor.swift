import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// Makes the pipeline's external actions exactly once per email. Each action has an idempotency
/// key (`<email id>|<action>`); its record is written before the call and completed after it:
///
/// - a completed record is never repeated (a retry or a reclaimed item skips it);
/// - a record still `started` from an earlier attempt means the outcome is unknown (a crash or a
///   timeout mid-call): the action is reconciled where the other side can tell (a reply in Sent
///   Items, a chat with the same topic) before anything is sent again, and while the first call
///   may still land (`actions.unknownOutcomeWaitSeconds` after it began) the item waits and looks
///   again instead of sending;
/// - in dry-run, the record holds the exact request and nothing is called.
struct ActionExecutor: Sendable {
    let store: any PipelineStore
    let mode: ActionMode
    let metrics: ServerMetrics
    let logger: Logger
    /// `actions.unknownOutcomeWaitSeconds`.
    var unknownOutcomeWait: TimeInterval = 600
    var now: @Sendable () -> Date = { Date() }
    /// How far in the future a stored start may lie (another replica's clock) and still count.
    static let toleratedSkew: TimeInterval = 300

    /// Which email and attempt an action belongs to.
    struct Context: Sendable {
        var inboxId: Int64
        var emailId: String
        /// The inbox row's attempt (1 for the first).
        var attempt: Int
        /// The lease owner of the claim running this attempt: actions are fenced by it.
        var owner: String?
    }

    /// What reconciliation found: a result to record, or nil when the action did not happen.
    typealias Reconcile = @Sendable (ActionRecord) async throws -> JSONValue?

    var live: Bool { mode == .live }

    /// An action run with its outcome left to record: ``pending`` goes into the email's completion
    /// (one transaction fewer per email). The record was committed before the call all the same,
    /// so an attempt that stops before the completion leaves it `started`, to be reconciled.
    struct Executed: Sendable {
        var record: ActionRecord
        /// The outcome still to record; nil when it is stored already.
        var pending: ActionOutcome?
    }

    /// Runs one action and records its outcome. `recordOnly` records it like dry-run (nothing to
    /// act on, e.g. no mailbox).
    func run(
        _ action: ActionKind, request: JSONValue, context: Context, recordOnly: Bool = false, reconcile: Reconcile? = nil,
        call: @Sendable () async throws -> JSONValue
    ) async throws -> ActionRecord {
        try await perform(action, request: request, context: context, recordOnly: recordOnly, reconcile: reconcile, deferOutcome: false, call: call).record
    }

    /// Runs one action; with `deferOutcome` a completed outcome is returned to record later, not written.
    func perform(
        _ action: ActionKind, request: JSONValue, context: Context, recordOnly: Bool = false, reconcile: Reconcile? = nil,
        deferOutcome: Bool, call: @Sendable () async throws -> JSONValue
    ) async throws -> Executed {
        let key = "\(context.emailId)|\(action.rawValue)"
        let performs = live && !recordOnly
        var record = try await store.beginAction(ActionRecord(
            inboxId: context.inboxId, emailId: context.emailId, action: action, idempotencyKey: key,
            mode: performs ? .live : .dryRun, request: request.jsonText(), claimOwner: context.owner, claimAttempt: context.owner.map { _ in context.attempt }))
        if record.status == .completed {
            logger.debug("action already done", metadata: ["mailhook.action": "\(action.rawValue)", "mailhook.email": "\(context.emailId)"])
            return Executed(record: record)
        }
        guard performs else {
            let note = DryRunNote(reason: recordOnly ? "no Graph message to act on" : "actions.mode is dry-run")
            return try await completed(record, result: JSONWriter.text(note), deferOutcome: deferOutcome)
        }
        if record.resumed, let reconcile {
            if let found = try await reconcile(record) {
                logger.notice("action found done after an interrupted attempt", metadata: [
                    "mailhook.action": "\(action.rawValue)", "mailhook.email": "\(context.emailId)",
                ])
                try await finish(&record, status: .completed, result: found.jsonText())
                return Executed(record: record)
            }
            // A start far in the future (a damaged row, a clock set wrong) would be waited on for
            // ever, each look spending no attempt: beyond the skew tolerated, the wait is over.
            if let began = record.createdAt, began.timeIntervalSince(now()) <= Self.toleratedSkew {
                let remaining = began.addingTimeInterval(unknownOutcomeWait).timeIntervalSince(now())
                if remaining > 0 {
                    logger.notice("an interrupted action is not found done yet; waiting before sending it again", metadata: [
                        "mailhook.action": "\(action.rawValue)", "mailhook.email": "\(context.emailId)", "mailhook.wait_s": .string(String(format: "%.0f", remaining)),
                    ])
                    throw OutcomePending(action: action, retryAfter: min(remaining, 15))
                }
            }
        }
        let result: JSONValue
        do {
            result = try await call()
        } catch let error as GraphError where error.isRefusal {
            // The other side refused the request outright: it did not happen, so a later attempt may try again.
            try await finish(&record, status: .failed, result: JSONWriter.text(["error": error.description]))
            throw error
        }
        // Any other failure leaves the record `started`: the outcome is unknown until reconciled.
        return try await completed(record, result: result.jsonText(), deferOutcome: deferOutcome)
    }

    private func completed(_ record: ActionRecord, result: String, deferOutcome: Bool) async throws -> Executed {
        var record = record
        guard deferOutcome else {
            try await finish(&record, status: .completed, result: result)
            return Executed(record: record)
        }
        record.status = .completed
        record.result = result
        return Executed(record: record, pending: ActionOutcome(idempotencyKey: record.idempotencyKey, status: .completed, result: result))
    }

    private func finish(_ record: inout ActionRecord, status: ActionStatus, result: String) async throws {
        try await store.finishAction(idempotencyKey: record.idempotencyKey, status: status, result: result)
        record.status = status
        record.result = result
        metrics.action(record.action, mode: record.mode, outcome: status)
    }

    struct DryRunNote: Encodable {
        var dryRun = true
        var reason: String
    }
}

/// An interrupted action that is not found done yet while its first call may still land: the
/// item waits (no attempt spent) and looks again.
struct OutcomePending: OutageFailure, CustomStringConvertible {
    var action: ActionKind
    var retryAfter: Double
    var outageRetryAfter: Double? { retryAfter }
    var description: String { "the outcome of the interrupted \(action.rawValue) is not known yet" }
}

extension GraphError {
    /// A 4xx other than a timeout or throttling: the request was refused and did not happen.
    var isRefusal: Bool {
        kind == .http && (status.map { (400..<500).contains($0) && $0 != 408 && $0 != 429 } ?? false)
    }
}
