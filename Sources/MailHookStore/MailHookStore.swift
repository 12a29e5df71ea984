import Foundation
import MailHookCore

/// Everything MailHook keeps durably. One implementation per database; both pass the same tests.
public protocol MailHookStore: Sendable {
    /// `sqlite` or `postgres`.
    var kind: String { get }

    /// Applies pending migrations; returns the versions applied now.
    @discardableResult
    func migrate() async throws -> [String]

    /// Succeeds when the database answers.
    func ping() async throws

    /// The tables of the application schema.
    func tableNames() async throws -> Set<String>

    /// Inserts every group's items in one transaction (the group commit) and reports, per group
    /// and item, whether it was new or a duplicate of an existing dedupe key.
    func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]]

    /// Rows waiting or in progress (`pending` and `processing`).
    func inboxDepth() async throws -> Int

    /// Inbox rows in id order (operations and tests).
    func inboxRows(limit: Int) async throws -> [InboxRow]

    /// The stored clientState of a subscription known by Graph id, and the client states of
    /// subscriptions still being created (no Graph id yet).
    func clientStates(forSubscription subscriptionId: String) async throws -> ClientStateCandidates

    /// Records a subscription (used by the subscription manager and by tests).
    func saveSubscription(_ subscription: SubscriptionRecord) async throws

    func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws

    // MARK: Subscriptions (Graph)

    /// Every stored subscription row.
    func subscriptionRows() async throws -> [SubscriptionRow]

    /// Stores a subscription about to be created (no Graph id yet), so notifications racing the
    /// create call verify. Returns the row id.
    func insertPendingSubscription(mailbox: String, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64

    /// Records Graph's answer to the create call.
    func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws

    /// Updates a subscription's state after a renewal, reauthorization or failure.
    func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws

    func deleteSubscriptionRow(rowId: Int64) async throws

    // MARK: Delta state

    func deltaState(mailbox: String, folder: String) async throws -> DeltaState?
    func saveDeltaState(_ state: DeltaState) async throws

    // MARK: Inbox processing

    /// Leases up to `limit` rows of the given kinds that are due (pending and past
    /// `next_attempt_at`) or whose lease expired (a crashed worker), counting an attempt each.
    func claimInbox(kinds: [String], limit: Int, owner: String, leaseSeconds: Int) async throws -> [InboxRow]

    /// Ends a row's processing: `completed`, `gone`, `filtered` or `dead` (with the error).
    func finishInbox(id: Int64, owner: String, status: String, error: String?) async throws

    /// Puts a row back for another attempt at `retryAt`.
    func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws

    /// Makes rows due again with a fresh attempt count (`mailhook replay`): one row by id (any
    /// status but in progress), or every dead-lettered row. Returns how many.
    func replayInbox(id: Int64?) async throws -> Int

    // MARK: Emails

    /// Stores a fetched email (once: a message already stored is left as it is). Returns whether it was new.
    @discardableResult
    func recordEmail(_ email: EmailMessage, inboxId: Int64, source: String) async throws -> Bool

    /// Stored emails, oldest first.
    func emails(limit: Int) async throws -> [StoredEmail]

    // MARK: Pipeline records

    /// Inserts or updates the email's processing row (by ``ProcessingRecord/id``) and sets
    /// `email_messages.processing_status` (and `retry_count`, `last_error`) to match.
    func saveProcessing(_ record: ProcessingRecord, emailStatus: String) async throws

    /// The stored classification of an email. A retried item reuses it, so the routing decision
    /// and the actions' idempotency keys stay the same.
    func classification(emailId: String) async throws -> Classification?

    /// Stores an email's classification; one already stored is kept.
    func saveClassification(_ classification: Classification, emailId: String) async throws

    /// Writes the action record (status `started`) unless one with the same idempotency key
    /// exists, and returns the stored record: the new one, or the earlier one with its status.
    func beginAction(_ record: ActionRecord) async throws -> ActionRecord

    /// Marks an action `completed` or `failed` with its result.
    func finishAction(idempotencyKey: String, status: String, result: String?) async throws

    /// Action records in id order, of one inbox row or all.
    func actionRecords(inboxId: Int64?) async throws -> [ActionRecord]

    /// Stores an escalation; a second one with the same team id is ignored.
    func saveEscalation(_ record: EscalationRecord) async throws

    /// Ends an email's processing in one transaction: the processing row, the email's status,
    /// its subject pattern (counted once per email: not again when the processing row was
    /// already `completed`) and the metrics.
    func completeProcessing(_ completion: ProcessingCompletion) async throws

    /// A table's rows as JSON objects in insertion order (operations and tests).
    func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue]

    // MARK: Coordination

    /// Runs `body` only if this process holds the named lock (one replica at a time); returns
    /// nil without running it when another replica holds it.
    func withExclusiveLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T?

    /// Releases connections.
    func close() async throws
}

public struct ClientStateCandidates: Sendable, Equatable {
    public var known: String?
    public var pending: [String]

    public init(known: String?, pending: [String]) {
        self.known = known
        self.pending = pending
    }
}

public struct InboxRow: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var kind: String
    public var endpoint: String?
    public var subscriptionId: String?
    public var dedupeKey: String
    public var messageKey: String?
    public var payload: String
    public var status: String
    public var attempts: Int
    public var lastError: String?
}

public struct SubscriptionRow: Sendable, Equatable {
    public var rowId: Int64
    public var subscriptionId: String?
    public var resource: String
    public var mailbox: String
    public var mailboxId: String?
    public var clientState: String
    public var notificationUrl: String?
    public var expiration: Date?
    public var status: String
    public var lastRenewedAt: Date?
    public var lastReauthorizedAt: Date?
    public var lastError: String?

    public init(
        rowId: Int64, subscriptionId: String?, resource: String, mailbox: String, mailboxId: String?, clientState: String,
        notificationUrl: String?, expiration: Date?, status: String, lastRenewedAt: Date?, lastReauthorizedAt: Date?, lastError: String?
    ) {
        self.rowId = rowId
        self.subscriptionId = subscriptionId
        self.resource = resource
        self.mailbox = mailbox
        self.mailboxId = mailboxId
        self.clientState = clientState
        self.notificationUrl = notificationUrl
        self.expiration = expiration
        self.status = status
        self.lastRenewedAt = lastRenewedAt
        self.lastReauthorizedAt = lastReauthorizedAt
        self.lastError = lastError
    }
}

public struct SubscriptionChange: Sendable, Equatable {
    public var status: String?
    public var expiration: Date?
    public var lastRenewedAt: Date?
    public var lastReauthorizedAt: Date?
    public var lastError: String??

    public init(status: String? = nil, expiration: Date? = nil, lastRenewedAt: Date? = nil, lastReauthorizedAt: Date? = nil, lastError: String?? = nil) {
        self.status = status
        self.expiration = expiration
        self.lastRenewedAt = lastRenewedAt
        self.lastReauthorizedAt = lastReauthorizedAt
        self.lastError = lastError
    }
}

public struct DeltaState: Sendable, Equatable {
    public var mailbox: String
    public var folder: String
    public var deltaLink: String?
    public var lastReceivedAt: Date?
    public var lastSyncAt: Date?

    public init(mailbox: String, folder: String, deltaLink: String?, lastReceivedAt: Date?, lastSyncAt: Date?) {
        self.mailbox = mailbox
        self.folder = folder
        self.deltaLink = deltaLink
        self.lastReceivedAt = lastReceivedAt
        self.lastSyncAt = lastSyncAt
    }
}

public struct SubscriptionRecord: Sendable, Equatable {
    public var subscriptionId: String?
    public var resource: String
    public var mailbox: String
    public var clientState: String
    public var expiration: Date?
    public var status: String

    public init(subscriptionId: String?, resource: String, mailbox: String, clientState: String, expiration: Date?, status: String) {
        self.subscriptionId = subscriptionId
        self.resource = resource
        self.mailbox = mailbox
        self.clientState = clientState
        self.expiration = expiration
        self.status = status
    }
}

/// The store could not be reached or refused the write: the sender must retry (HTTP 503).
public struct StoreUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "store unavailable: \(reason)" }
}

public struct StoredEmail: Sendable, Equatable {
    public var id: String
    public var inboxId: Int64?
    public var mailbox: String?
    public var senderEmail: String
    public var subject: String
    public var body: String
    public var processingStatus: String?
}
