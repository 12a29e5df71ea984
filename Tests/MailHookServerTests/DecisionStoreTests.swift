import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// The routing decision's write (``PipelineStore/recordDecision(_:)``), the action record
/// (``PipelineStore/beginAction(_:)``) and the completion (``PipelineStore/completeProcessing(_:)``):
/// the same rows on both databases, in as few statements (round trips) as each allows.
@Suite("Decision and completion store")
struct DecisionStoreTests {
    /// A migrated store whose statements are counted (the migrations' are not).
    static func withCountingStore(_ database: TestDatabase, _ body: @Sendable (SQLStore, CountingDatabase) async throws -> Void) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { real in
            try await real.migrate()
            let counting = CountingDatabase(real.database)
            try await body(SQLStore(database: counting, now: { PipelineStoreTests.seen }), counting)
        }
    }

    @Test("a decision stores the email, its classification and processing row; a retry updates the status and keeps the first classification (SQLite)")
    func decisionSQLite() async throws { try await decision(.sqlite, statements: 3) }

    @Test("a decision stores the email, its classification and processing row in one statement; a retry updates the status and keeps the first classification (PostgreSQL)", .postgres)
    func decisionPostgres() async throws { try await decision(.postgres, statements: 1) }

    func decision(_ database: TestDatabase, statements: Int) async throws {
        try await Self.withCountingStore(database) { store, counting in
            let email = EmailMessage(
                id: "m1", mailbox: "it@example.com", from: .init(address: "alice@contoso.com", name: "Alice"), to: [.init(address: "it@example.com")],
                subject: "Password reset for user 42", bodyText: "Please reset my password.", receivedAt: PipelineStoreTests.seen)
            let first = ProcessingRecord(id: "proc-m1", emailId: "m1", status: .responding, startedAt: PipelineStoreTests.seen, confidenceRouting: #"{"decision":"AUTO_RESPOND"}"#)
            try await store.recordDecision(ProcessingDecision(
                email: email, inboxId: 7, source: .graph, classification: PipelineStoreTests.classification, processing: first, emailStatus: .responding))
            #expect(counting.statements == statements, "statements: \(counting.statements)")

            var stored = try #require(try await store.tableRows(.emailMessages, limit: 10).first)
            #expect(stored["processing_status"] == .string("responding"))
            #expect(PipelineStoreTests.number(stored["inbox_id"]) == 7)
            #expect(stored["processed_datetime"] == .null)
            #expect(try await store.classification(emailId: "m1")?.category == .support)
            var processing = try await store.tableRows(.processingResults, limit: 10)
            #expect(processing.count == 1 && processing.first?["status"] == .string("responding"))

            // A retry of the same email: a new classification and different content are not stored;
            // the status, error and retry count are.
            var again = email
            again.subject = "changed"
            var second = PipelineStoreTests.classification
            second.category = .escalation
            let failed = ProcessingRecord(
                id: "proc-m1", emailId: "m1", status: .failed, startedAt: PipelineStoreTests.seen, completedAt: PipelineStoreTests.seen.addingTimeInterval(3),
                errorMessage: "Graph 503", errorStage: .act, retryCount: 1)
            try await store.recordDecision(ProcessingDecision(email: again, inboxId: 8, source: .graph, classification: second, processing: failed, emailStatus: .failed))
            stored = try #require(try await store.tableRows(.emailMessages, limit: 10).first)
            #expect(stored["subject"] == .string("Password reset for user 42"))
            #expect(PipelineStoreTests.number(stored["inbox_id"]) == 7)
            #expect(stored["processing_status"] == .string("failed"))
            #expect(stored["last_error"] == .string("Graph 503"))
            #expect(PipelineStoreTests.number(stored["retry_count"]) == 1)
            #expect(stored["processed_datetime"] != .null && stored["processed_datetime"] != nil)
            #expect(try await store.classification(emailId: "m1")?.category == .support, "the first classification is kept")
            processing = try await store.tableRows(.processingResults, limit: 10)
            #expect(processing.count == 1 && processing.first?["status"] == .string("failed") && processing.first?["error_stage"] == .string("act"))

            // A decision without a classification (a reused one) stores none.
            let other = EmailMessage(id: "m2", mailbox: "it@example.com", from: .init(address: "bob@contoso.com"), subject: "Hi", bodyText: "Hello", receivedAt: PipelineStoreTests.seen)
            try await store.recordDecision(ProcessingDecision(
                email: other, inboxId: 9, source: .graph, classification: nil,
                processing: ProcessingRecord(id: "proc-m2", emailId: "m2", status: .escalating, startedAt: PipelineStoreTests.seen), emailStatus: .escalating))
            #expect(try await store.classification(emailId: "m2") == nil)
            #expect(try await store.emails(limit: 10).map(\.processingStatus) == [.failed, .escalating])
        }
    }

    @Test("a completion records the action, processing row, email status, metrics, pattern observation and inbox row (SQLite)")
    func completionSQLite() async throws { try await completion(.sqlite, statements: 6, another: 3) }

    @Test("a completion records the action, processing row, email status, metrics, pattern observation and inbox row in one statement (PostgreSQL)", .postgres)
    func completionPostgres() async throws { try await completion(.postgres, statements: 1, another: 1) }

    /// `statements`: SQLite runs the writes one by one, the pattern's observation last (an insert,
    /// whether the pattern is new or not); `another`: a second email of the pattern (no action,
    /// metrics or inbox row). PostgreSQL runs each completion as one statement. The pattern row
    /// itself is written by the fold, which the reads below run first.
    func completion(_ database: TestDatabase, statements: Int, another: Int) async throws {
        try await Self.withCountingStore(database) { store, counting in
            _ = try await store.insertInboxBatch([[NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "e", dedupeKey: "k1", payload: "{}")]])
            let row = try #require(try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w1", leaseSeconds: 60, maxAttempts: 5).first)
            try await PipelineStoreTests.email("m1", store: store, inboxId: row.id)
            let action = try await store.beginAction(ActionRecord(
                inboxId: row.id, emailId: "m1", action: .flag, idempotencyKey: "m1|flag", mode: .live, request: "{}", claimOwner: "w1", claimAttempt: row.attempts))
            var completion = PipelineStoreTests.completion(
                "m1", at: PipelineStoreTests.seen, automation: 0.3,
                metrics: [PerformanceMetric(type: .processingTime, name: "total", category: "pipeline", value: 12, unit: "ms", emailId: "m1")])
            completion.actions = [ActionOutcome(idempotencyKey: action.idempotencyKey, status: .completed, result: #"{"ok":true}"#)]
            completion.inbox = InboxLease(id: row.id, owner: "w1")
            counting.reset()
            try await store.completeProcessing(completion)
            #expect(counting.statements == statements, "statements: \(counting.statements)")

            #expect(try await store.actionRecords(inboxId: row.id).map(\.status) == [.completed])
            #expect(try await store.tableRows(.processingResults, limit: 10).first?["status"] == .string("completed"))
            #expect(try await store.emails(limit: 10).first?.processingStatus == .completed)
            #expect(try await store.tableRows(.performanceMetrics, limit: 10).count == 1)
            #expect(try await store.tableRows(.emailPatterns, limit: 10).count == 1)
            let inbox = try #require(try await store.inboxRows(limit: 10).first)
            #expect(inbox.status == .completed && inbox.leaseOwner == nil)

            // Another email of the pattern: its processing row, status, then the pattern's observation.
            try await PipelineStoreTests.email("m2", store: store, inboxId: row.id)
            counting.reset()
            try await store.completeProcessing(PipelineStoreTests.completion("m2", at: PipelineStoreTests.seen, automation: 0.3))
            #expect(counting.statements == another, "statements: \(counting.statements)")
            #expect(try await store.tableRows(.emailPatterns, limit: 10).first?["frequency"].flatMap(PipelineStoreTests.number) == 2)
        }
    }

    @Test("an action record costs the lease check and its insert; a new claim resumes an unfinished one; a finished one is returned as it is; a stale claim writes nothing (SQLite)")
    func actionRecordSQLite() async throws { try await actionRecord(.sqlite, statements: [2, 3, 4]) }

    @Test("an action record is one statement: the lease check and its insert; a new claim resumes an unfinished one; a finished one is returned as it is; a stale claim writes nothing (PostgreSQL)", .postgres)
    func actionRecordPostgres() async throws { try await actionRecord(.postgres, statements: [1, 1, 1]) }

    func actionRecord(_ database: TestDatabase, statements: [Int]) async throws {
        try await Self.withCountingStore(database) { store, counting in
            _ = try await store.insertInboxBatch([[NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "e", dedupeKey: "k1", payload: "{}")]])
            // A lease that is over at once, so a second worker can claim the row below.
            let first = try #require(try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w1", leaseSeconds: -1, maxAttempts: 5).first)
            try await PipelineStoreTests.email("m1", store: store, inboxId: first.id)
            func begin(owner: String, attempt: Int) async throws -> ActionRecord {
                counting.reset()
                return try await store.beginAction(ActionRecord(
                    inboxId: first.id, emailId: "m1", action: .flag, idempotencyKey: "m1|flag", mode: .live, request: "{}", claimOwner: owner, claimAttempt: attempt))
            }
            let created = try await begin(owner: "w1", attempt: first.attempts)
            #expect(counting.statements == statements[0], "statements: \(counting.statements)")
            #expect(!created.resumed && created.status == .started && created.claimOwner == "w1" && created.request == "{}")

            // The lease ran out before the action finished; another worker claims the row.
            let second = try #require(try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w2", leaseSeconds: 60, maxAttempts: 5).first)
            // The first worker's claim is stale now: it may not record (or act) any more.
            await #expect(throws: StaleClaim.self) { try await begin(owner: "w1", attempt: first.attempts) }
            let resumed = try await begin(owner: "w2", attempt: second.attempts)
            #expect(counting.statements == statements[1], "statements: \(counting.statements)")
            #expect(resumed.resumed && resumed.id == created.id && resumed.claimOwner == "w2" && resumed.claimAttempt == second.attempts)

            try await store.finishAction(idempotencyKey: "m1|flag", status: .completed, result: #"{"ok":true}"#)
            let finished = try await begin(owner: "w2", attempt: second.attempts)
            #expect(counting.statements == statements[2], "statements: \(counting.statements)")
            #expect(!finished.resumed && finished.status == .completed && finished.claimOwner == "w2" && finished.result == #"{"ok":true}"#)
            #expect(try await store.actionRecords(inboxId: first.id).count == 1)
            #expect(try await store.actionRecords(inboxId: first.id).first?.claimOwner == "w2")
        }
    }
}
