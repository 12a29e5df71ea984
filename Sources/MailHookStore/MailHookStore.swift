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
    public var payload: String
    public var status: String
    public var attempts: Int
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
