import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import ServiceLifecycle
import Testing

@Suite("Stores")
struct StoreTests {
    static let tables = [
        "email_messages", "classification_results", "processing_results", "escalation_teams", "email_patterns",
        "performance_metrics", "inbox", "subscriptions", "audit_log", "delta_state", "action_records",
    ]

    static func withStore(_ database: TestDatabase, _ body: @Sendable (any MailHookStore) async throws -> Void) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            try await body(store)
        }
    }

    @Test("migrations create every table once and are idempotent", arguments: TestDatabase.available)
    func migrations(database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            #expect(try await store.migrate() == ["0001_initial"])
            #expect(try await store.migrate() == [])
            let tables = try await store.tableNames()
            #expect(tables.isSuperset(of: Set(Self.tables)), "missing: \(Set(Self.tables).subtracting(tables))")
            try await store.appendAudit(actor: "test", action: "probe", subject: "audit_log", detail: #"{"ok":true}"#)
        }
    }

    @Test("a batch reports inserted and duplicate items, including repeats within the batch", arguments: TestDatabase.available)
    func batchOutcomes(database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            func item(_ key: String) -> NewInboxItem {
                NewInboxItem(source: "test", kind: .canonicalEvent, endpoint: "e", dedupeKey: key, payload: "{}")
            }
            let first = try await store.insertInboxBatch([[item("a"), item("b")], [item("a")]])
            guard case .inserted = first[0][0], case .inserted = first[0][1] else { Issue.record("\(first)"); return }
            #expect(first[1] == [.duplicate])
            let second = try await store.insertInboxBatch([[item("b"), item("c")]])
            #expect(second[0][0] == .duplicate)
            guard case .inserted = second[0][1] else { Issue.record("\(second)"); return }
            #expect(try await store.inboxRows(limit: 10).map(\.dedupeKey) == ["a", "b", "c"])
            #expect(try await store.inboxDepth() == 3)
        }
    }

    @Test("group commit: 500 concurrent submissions, each acknowledged once, all stored", arguments: TestDatabase.available)
    func groupCommit(database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let writer = InboxWriter(store: store, flushers: store.kind == "postgres" ? 4 : 1, logger: Logger(label: "test"))
            let group = ServiceGroup(services: [writer], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let outcomes = try await withThrowingTaskGroup(of: [InsertOutcome].self) { submits in
                    for i in 0..<500 {
                        submits.addTask {
                            try await writer.submit([
                                NewInboxItem(source: "test", kind: .canonicalEvent, dedupeKey: "k\(i % 400)", payload: #"{"i":\#(i)}"#),
                            ])
                        }
                    }
                    var all: [InsertOutcome] = []
                    for try await outcome in submits { all += outcome }
                    return all
                }
                #expect(outcomes.filter { $0 != .duplicate }.count == 400)
                #expect(outcomes.filter { $0 == .duplicate }.count == 100)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await store.inboxRows(limit: 1000).count == 400)
            // After shutdown the writer refuses new work rather than accepting what it cannot store.
            await #expect(throws: StoreUnavailable.self) {
                try await writer.submit([NewInboxItem(source: "test", kind: .canonicalEvent, dedupeKey: "late", payload: "{}")])
            }
        }
    }
}


@Suite("Test setup")
struct TestSetupTests {
    @Test("in CI the PostgreSQL variants run: they are never skipped silently")
    func postgresInCI() {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            #expect(TestDatabase.postgresURL != nil, "CI=true but MAILHOOK_TEST_POSTGRES_URL is not set: run Scripts/test")
        }
    }
}
