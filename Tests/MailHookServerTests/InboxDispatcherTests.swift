import Foundation
import Logging
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Inbox dispatcher")
struct InboxDispatcherTests {
    /// Fails while `failing` is set, records every attempt and the peak of rows in flight.
    final class FlakyProcessor: InboxProcessor {
        let failing = Atomic<Bool>(true)
        let attempts = Atomic<Int>(0)
        let inFlight = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let hold: Duration

        init(hold: Duration = .zero) { self.hold = hold }

        var kinds: [NewInboxItem.Kind] { [.graphLifecycle] }

        func process(_ row: InboxRow) async throws -> ProcessingOutcome {
            attempts.add(1, ordering: .relaxed)
            let now = inFlight.add(1, ordering: .relaxed).newValue
            peak.max(now, ordering: .relaxed)
            defer { inFlight.subtract(1, ordering: .relaxed) }
            if hold > .zero { try await Task.sleep(for: hold) }
            if failing.load(ordering: .relaxed) { throw TestSupportError("the fake action failed") }
            return .finished(status: .completed)
        }
    }

    static func withDispatcher(
        _ database: TestDatabase, processor: FlakyProcessor, concurrency: Int = 4, maxAttempts: Int = 2,
        _ body: @Sendable (any DataStore, InboxDispatcher) async throws -> Void
    ) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            try await store.migrate()
            let dispatcher = InboxDispatcher(
                store: store, processors: [processor], concurrency: concurrency, maxAttempts: maxAttempts, leaseSeconds: 60,
                idlePoll: .milliseconds(50), shutdownGrace: .seconds(5), logger: Logger(label: "test"))
            let group = ServiceGroup(services: [dispatcher], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await body(store, dispatcher)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("only committed rows of a kind it processes wake the dispatcher")
    func wakesOnlyForItsKinds() async throws {
        try await Self.withDispatcher(.sqlite, processor: FlakyProcessor()) { _, dispatcher in
            #expect(dispatcher.processes(anyOf: [.graphLifecycle]))
            #expect(dispatcher.processes(anyOf: [.graphNotification, .graphLifecycle]))
            #expect(!dispatcher.processes(anyOf: [.graphNotification, .deltaMessage]))
            #expect(!dispatcher.processes(anyOf: []))
        }
    }

    @Test("failures are retried with backoff, dead-lettered after maxAttempts, and complete after replay (SQLite)")
    func deadLetterAndReplaySQLite() async throws { try await deadLetterAndReplay(.sqlite) }

    @Test("failures are retried with backoff, dead-lettered after maxAttempts, and complete after replay (PostgreSQL)", .postgres)
    func deadLetterAndReplayPostgres() async throws { try await deadLetterAndReplay(.postgres) }

    func deadLetterAndReplay(_ database: TestDatabase) async throws {
        let processor = FlakyProcessor()
        try await Self.withDispatcher(database, processor: processor) { store, dispatcher in
            _ = try await store.insertInboxBatch([[NewInboxItem(source: .graph, kind: .graphLifecycle, dedupeKey: "d1", payload: "{}")]])
            dispatcher.wake()
            try await eventually { try await store.inboxRows(limit: 10).first?.status == .dead }
            let dead = try #require(try await store.inboxRows(limit: 10).first)
            #expect(dead.attempts == 2)
            #expect(dead.lastError?.contains("the fake action failed") == true)
            #expect(processor.attempts.load(ordering: .relaxed) == 2)

            processor.failing.store(false, ordering: .relaxed)
            #expect(try await store.replayInbox(id: nil) == 1)
            dispatcher.wake()
            try await eventually { try await store.inboxRows(limit: 10).first?.status == .completed }
            #expect(processor.attempts.load(ordering: .relaxed) == 3)
        }
    }

    @Test("at most pipeline.concurrency rows in flight", arguments: [TestDatabase.sqlite])
    func concurrencyBound(database: TestDatabase) async throws {
        let processor = FlakyProcessor(hold: .milliseconds(50))
        processor.failing.store(false, ordering: .relaxed)
        try await Self.withDispatcher(database, processor: processor, concurrency: 3) { store, dispatcher in
            _ = try await store.insertInboxBatch([(0..<30).map { NewInboxItem(source: .graph, kind: .graphLifecycle, dedupeKey: "c\($0)", payload: "{}") }])
            dispatcher.wake()
            try await eventually { try await store.inboxRows(limit: 100).allSatisfy { $0.status == .completed } }
            #expect(processor.peak.load(ordering: .relaxed) == 3)
        }
    }
}
