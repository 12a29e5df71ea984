import Foundation
import MailHookCore

/// What the classification-routing pipeline writes about each email: the email itself, its
/// processing row at every stage change, its classification, its actions (before and after the
/// call) and its escalation.
public protocol PipelineStore: Sendable {
    /// Stores a fetched email (once: a message already stored is left as it is). Returns whether it was new.
    @discardableResult
    func recordEmail(_ email: EmailMessage, inboxId: Int64, source: InboxSource) async throws -> Bool

    /// Inserts or updates the email's processing row (by ``ProcessingRecord/id``) and sets
    /// `email_messages.processing_status` (and `retry_count`, `last_error`) to match.
    func saveProcessing(_ record: ProcessingRecord, emailStatus: ProcessingStatus) async throws

    /// The stored classification of an email. A retried item reuses it, so the routing decision
    /// and the actions' idempotency keys stay the same.
    func classification(emailId: String) async throws -> Classification?

    /// Stores an email's classification; one already stored is kept.
    func saveClassification(_ classification: Classification, emailId: String) async throws

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

    /// Ends an email's processing in one transaction: the processing row, the email's status,
    /// its subject pattern (counted once per email: not again when the processing row was
    /// already `completed`) and the metrics.
    func completeProcessing(_ completion: ProcessingCompletion) async throws
}
