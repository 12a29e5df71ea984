import Foundation
import MailHookCore

/// What the classification-routing pipeline writes about each email, in as few transactions as
/// the exactly-once rule allows: its decision (email, classification, processing row), each
/// action record before the call, and the completion (action outcomes, processing row, inbox row).
public protocol PipelineStore: Sendable {
    /// Stores the email (once), a new classification (the first one stored wins) and the
    /// processing row in one transaction: what an email's processing knows before it acts.
    func recordDecision(_ decision: ProcessingDecision) async throws

    /// The stored classification of an email. A retried item reuses it, so the routing decision
    /// and the actions' idempotency keys stay the same.
    func classification(emailId: String) async throws -> Classification?

    /// Writes the action record (status `started`) unless one with the same idempotency key
    /// exists, and returns the stored record: the new one, or the earlier one with its status.
    /// Fenced: the record's claim (``ActionRecord/claimOwner`` and ``ActionRecord/claimAttempt``)
    /// must be the inbox row's current lease, or ``StaleClaim`` is thrown and nothing is written;
    /// an earlier unfinished record is taken over by the current claim and returned with
    /// ``ActionRecord/resumed`` set.
    func beginAction(_ record: ActionRecord) async throws -> ActionRecord

    /// Whether `sender` got an automatic reply (a `reply` action, any mode) since `since`, for
    /// an email other than `excluding`.
    func autoReplySent(to sender: String, since: Date, excluding emailId: String) async throws -> Bool

    /// Marks an action `completed` or `failed` with its result.
    func finishAction(idempotencyKey: String, status: ActionStatus, result: String?) async throws

    /// Stores an escalation; a second one with the same team id is ignored.
    func saveEscalation(_ record: EscalationRecord) async throws

    /// Ends an email's processing in one transaction: the outcomes of its finished actions, the
    /// processing row, the email's status, its subject pattern's observation (recorded once per
    /// email: not again when the processing row was already `completed`), the metrics and the
    /// inbox row (while the lease holds it).
    func completeProcessing(_ completion: ProcessingCompletion) async throws

    /// Counts up to `limit` recorded pattern observations into `email_patterns`, oldest first,
    /// each exactly once; returns how many it took (0: none were waiting).
    @discardableResult
    func foldPatterns(limit: Int) async throws -> Int
}
