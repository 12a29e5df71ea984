import Foundation
import MailHookCore
import MailHookStore
import Synchronization

/// Wraps a real store and can be switched to fail every call, as a database outage would.
public final class FaultyStore: MailHookStore {
    private let base: any MailHookStore
    private let failing = Atomic<Bool>(false)

    public init(_ base: any MailHookStore) { self.base = base }

    public func setFailing(_ value: Bool) { failing.store(value, ordering: .sequentiallyConsistent) }

    private func check() throws {
        if failing.load(ordering: .sequentiallyConsistent) { throw StoreUnavailable("injected outage") }
    }

    public var kind: String { base.kind }
    public func migrate() async throws -> [String] { try check(); return try await base.migrate() }
    public func ping() async throws { try check(); try await base.ping() }
    public func tableNames() async throws -> Set<String> { try check(); return try await base.tableNames() }
    public func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]] {
        try check()
        return try await base.insertInboxBatch(groups)
    }
    public func inboxDepth() async throws -> Int { try check(); return try await base.inboxDepth() }
    public func inboxRows(limit: Int) async throws -> [InboxRow] { try await base.inboxRows(limit: limit) }
    public func clientStates(forSubscription id: String) async throws -> ClientStateCandidates {
        try check()
        return try await base.clientStates(forSubscription: id)
    }
    public func saveSubscription(_ s: SubscriptionRecord) async throws { try await base.saveSubscription(s) }
    public func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws {
        try await base.appendAudit(actor: actor, action: action, subject: subject, detail: detail)
    }
    public func subscriptionRows() async throws -> [SubscriptionRow] { try check(); return try await base.subscriptionRows() }
    public func insertPendingSubscription(mailbox: String, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64 {
        try check()
        return try await base.insertPendingSubscription(mailbox: mailbox, resource: resource, clientState: clientState, notificationUrl: notificationUrl, lifecycleUrl: lifecycleUrl)
    }
    public func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws {
        try check()
        try await base.activateSubscription(rowId: rowId, subscriptionId: subscriptionId, expiration: expiration, mailboxId: mailboxId)
    }
    public func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws { try check(); try await base.updateSubscription(rowId: rowId, change) }
    public func deleteSubscriptionRow(rowId: Int64) async throws { try check(); try await base.deleteSubscriptionRow(rowId: rowId) }
    public func deltaState(mailbox: String, folder: String) async throws -> DeltaState? { try check(); return try await base.deltaState(mailbox: mailbox, folder: folder) }
    public func saveDeltaState(_ state: DeltaState) async throws { try check(); try await base.saveDeltaState(state) }
    public func claimInbox(kinds: [String], limit: Int, owner: String, leaseSeconds: Int) async throws -> [InboxRow] {
        try check()
        return try await base.claimInbox(kinds: kinds, limit: limit, owner: owner, leaseSeconds: leaseSeconds)
    }
    public func finishInbox(id: Int64, owner: String, status: String, error: String?) async throws {
        try check()
        try await base.finishInbox(id: id, owner: owner, status: status, error: error)
    }
    public func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws {
        try check()
        try await base.retryInbox(id: id, owner: owner, error: error, retryAt: retryAt)
    }
    public func recordEmail(_ email: EmailMessage, inboxId: Int64, source: String) async throws -> Bool {
        try check()
        return try await base.recordEmail(email, inboxId: inboxId, source: source)
    }
    public func emails(limit: Int) async throws -> [StoredEmail] { try await base.emails(limit: limit) }
    public func replayInbox(id: Int64?) async throws -> Int { try check(); return try await base.replayInbox(id: id) }
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        try check()
        return try await base.withExclusiveLock(name, body)
    }
    public func saveProcessing(_ record: ProcessingRecord, emailStatus: String) async throws {
        try check(); try await base.saveProcessing(record, emailStatus: emailStatus)
    }
    public func classification(emailId: String) async throws -> Classification? { try check(); return try await base.classification(emailId: emailId) }
    public func saveClassification(_ c: Classification, emailId: String) async throws { try check(); try await base.saveClassification(c, emailId: emailId) }
    public func beginAction(_ record: ActionRecord) async throws -> ActionRecord { try check(); return try await base.beginAction(record) }
    public func finishAction(idempotencyKey: String, status: String, result: String?) async throws {
        try check(); try await base.finishAction(idempotencyKey: idempotencyKey, status: status, result: result)
    }
    public func actionRecords(inboxId: Int64?) async throws -> [ActionRecord] { try await base.actionRecords(inboxId: inboxId) }
    public func saveEscalation(_ record: EscalationRecord) async throws { try check(); try await base.saveEscalation(record) }
    public func completeProcessing(_ completion: ProcessingCompletion) async throws { try check(); try await base.completeProcessing(completion) }
    public func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue] { try await base.tableRows(table, limit: limit) }
    public func close() async throws { try await base.close() }
}
