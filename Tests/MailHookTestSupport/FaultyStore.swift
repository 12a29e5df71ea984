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
    public func close() async throws { try await base.close() }
}
