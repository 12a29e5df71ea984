import Foundation
import MailHookCore

/// The durable queue: the receive path's group commit, and the dispatcher's leased claims.
public protocol InboxStore: Sendable {
    /// Inserts every group's items in one transaction (the group commit) and reports, per group
    /// and item, whether it was new or a duplicate of an existing dedupe key or message identity.
    func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]]

    /// Rows waiting or in progress (`pending` and `processing`), counted up to `limit`: the count
    /// reads an index entry per row, so a caller that only needs to know "at least this many"
    /// bounds its cost.
    func inboxDepth(limit: Int) async throws -> Int

    /// Leases up to `limit` rows of the given kinds that are due (pending and past
    /// `next_attempt_at`) or whose lease expired (a crashed worker), counting an attempt each.
    /// A row that already had `maxAttempts` attempts is dead-lettered by the claim instead (one
    /// that keeps killing its worker stops being claimed) and returned with status `dead`.
    /// `expectRows`: the caller has reason to think rows are due (its last claim was full), so
    /// the read that spares an empty claim its write is skipped.
    func claimInbox(kinds: [InboxKind], limit: Int, owner: String, leaseSeconds: Int, maxAttempts: Int, expectRows: Bool) async throws -> [InboxRow]

    /// Ends a row's processing with a final status (and a note or the error), if `owner` still holds it.
    func finishInbox(id: Int64, owner: String, status: InboxStatus, error: String?) async throws

    /// Puts a row back for another attempt at `retryAt`, if `owner` still holds it.
    func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws

    /// Puts a row back for `retryAt` without spending the attempt (a dependency was down, the
    /// item did nothing wrong), if `owner` still holds it.
    func deferInbox(id: Int64, owner: String, reason: String, retryAt: Date) async throws

    /// Extends the lease of a claim that is still current (same owner and attempt); false when
    /// the claim was lost (the lease expired and another worker took the row).
    func extendLease(id: Int64, owner: String, attempt: Int, leaseSeconds: Int) async throws -> Bool

    /// Makes rows due again with a fresh attempt count (`mailhook replay`): one row by id (any
    /// status but in progress), or every dead-lettered row. Returns how many.
    func replayInbox(id: Int64?) async throws -> Int
}

/// One inbox row as the dispatcher and operators see it.
public struct InboxRow: Sendable, Equatable {
    public var id: Int64
    public var source: InboxSource
    public var kind: InboxKind
    public var endpoint: String?
    public var subscriptionId: String?
    public var dedupeKey: String
    public var messageKey: String?
    public var payload: String
    public var status: InboxStatus
    public var attempts: Int
    public var lastError: String?
    /// The worker holding the row's lease (with ``attempts``, the claim that fences its actions).
    public var leaseOwner: String?

    public init(
        id: Int64, source: InboxSource, kind: InboxKind, endpoint: String? = nil, subscriptionId: String? = nil, dedupeKey: String,
        messageKey: String? = nil, payload: String, status: InboxStatus = .pending, attempts: Int = 0, lastError: String? = nil,
        leaseOwner: String? = nil
    ) {
        self.id = id
        self.source = source
        self.kind = kind
        self.endpoint = endpoint
        self.subscriptionId = subscriptionId
        self.dedupeKey = dedupeKey
        self.messageKey = messageKey
        self.payload = payload
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.leaseOwner = leaseOwner
    }
}

/// A stored row this version cannot read. Not an outage: the item it belongs to fails its attempt.
public struct UnreadableRow: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The store could not be reached or refused the write: the sender must retry (HTTP 503).
public struct StoreUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "store unavailable: \(reason)" }
}

extension InboxStore {
    public func claimInbox(kinds: [InboxKind], limit: Int, owner: String, leaseSeconds: Int, maxAttempts: Int) async throws -> [InboxRow] {
        try await claimInbox(kinds: kinds, limit: limit, owner: owner, leaseSeconds: leaseSeconds, maxAttempts: maxAttempts, expectRows: false)
    }
}

extension InboxStore {
    /// Every open row, however many.
    public func inboxDepth() async throws -> Int { try await inboxDepth(limit: Int.max) }
}
