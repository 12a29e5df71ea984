import Foundation
import MailHookCore

/// Graph subscriptions (with the clientState each must carry) and the delta-query state per
/// mailbox folder.
public protocol SubscriptionStore: Sendable {
    /// Every stored subscription row.
    func subscriptionRows() async throws -> [SubscriptionRow]

    /// Stores a subscription about to be created (no Graph id yet), so notifications racing the
    /// create call verify. Returns the row id.
    func insertPendingSubscription(mailbox: String, mailboxId: String?, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64

    /// Records Graph's answer to the create call.
    func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws

    /// Updates a subscription's state after a renewal, reauthorization or failure.
    func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws

    func deleteSubscriptionRow(rowId: Int64) async throws

    func deltaState(mailbox: String, folder: String) async throws -> DeltaState?
    func saveDeltaState(_ state: DeltaState) async throws

    /// Notes that a delta round was asked for while another replica was running one.
    func requestDelta(mailbox: String, folder: String, at: Date) async throws

    /// Appends to `audit_log` (never secrets).
    func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws
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
    public var status: SubscriptionStatus
    public var lastRenewedAt: Date?
    public var lastReauthorizedAt: Date?
    public var lastError: String?

    public init(
        rowId: Int64, subscriptionId: String?, resource: String, mailbox: String, mailboxId: String?, clientState: String,
        notificationUrl: String?, expiration: Date?, status: SubscriptionStatus, lastRenewedAt: Date?, lastReauthorizedAt: Date?, lastError: String?
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

/// What changes about a subscription; nil fields are kept. `lastError: .some(nil)` clears it.
public struct SubscriptionChange: Sendable, Equatable {
    public var status: SubscriptionStatus?
    public var expiration: Date?
    public var lastRenewedAt: Date?
    public var lastReauthorizedAt: Date?
    public var lastError: String??

    public init(status: SubscriptionStatus? = nil, expiration: Date? = nil, lastRenewedAt: Date? = nil, lastReauthorizedAt: Date? = nil, lastError: String?? = nil) {
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
    /// When a round was last asked for while another ran (see ``SubscriptionStore/requestDelta(mailbox:folder:at:)``).
    public var requestedAt: Date?

    public init(mailbox: String, folder: String, deltaLink: String?, lastReceivedAt: Date?, lastSyncAt: Date?, requestedAt: Date? = nil) {
        self.mailbox = mailbox
        self.folder = folder
        self.deltaLink = deltaLink
        self.lastReceivedAt = lastReceivedAt
        self.lastSyncAt = lastSyncAt
        self.requestedAt = requestedAt
    }
}
