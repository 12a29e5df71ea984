import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

@Suite("Pipeline store")
struct PipelineStoreTests {
    static func withStore(_ database: TestDatabase, _ body: @Sendable (any DataStore) async throws -> Void) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            try await store.migrate()
            try await body(store)
        }
    }

    /// Whole seconds, so dates compare equal after a round trip through either database.
    static let seen = Date(timeIntervalSince1970: 1_800_000_000)

    static func email(_ id: String, store: any DataStore, inboxId: Int64 = 1) async throws {
        let message = EmailMessage(
            id: id, mailbox: "it@example.com", from: .init(address: "alice@contoso.com", name: "Alice"), to: [.init(address: "it@example.com")],
            subject: "Password reset for user 42", bodyText: "Please reset my password.", receivedAt: seen)
        try await store.recordEmail(message, inboxId: inboxId, source: .graph)
    }

    static func rows(_ store: any DataStore, _ table: ReadableTable) async throws -> [JSONValue] {
        try await store.tableRows(table, limit: 100)
    }

    static func number(_ value: JSONValue?) -> Double? {
        if case .number(let n) = value { return n }
        return nil
    }

    /// A JSON column: text in SQLite, already parsed in PostgreSQL's row_to_json.
    static func json(_ value: JSONValue?) -> JSONValue? {
        if case .string(let text) = value { return try? JSONValue.parse(Array(text.utf8)) }
        return value
    }

    static func bool(_ value: JSONValue?) -> Bool? {
        switch value {
        case .bool(let b): b
        case .number(let n): n != 0
        default: nil
        }
    }

    static let classification = Classification(
        category: .support, confidence: 87.5, reasoning: "A password reset.", urgency: .medium, suggestedAction: "Send the reset link",
        requiredExpertise: ["identity", "security"], estimatedEffort: "15 minutes", cues: ["password"], modelUsed: "gpt-test",
        promptVersion: "p-1", tokensUsed: 321)

    @Test("saveProcessing upserts the processing row and sets the email's status (SQLite)")
    func processingSQLite() async throws { try await processing(.sqlite) }

    @Test("saveProcessing upserts the processing row and sets the email's status (PostgreSQL)", .postgres)
    func processingPostgres() async throws { try await processing(.postgres) }

    func processing(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await Self.email("m1", store: store)
            try await store.saveProcessing(ProcessingRecord(id: "proc-m1", emailId: "m1", status: .classifying, startedAt: Self.seen), emailStatus: .classifying)
            #expect(try await store.emails(limit: 10).first?.processingStatus == .classifying)

            let done = ProcessingRecord(
                id: "proc-m1", emailId: "m1", status: .failed, startedAt: Self.seen, completedAt: Self.seen.addingTimeInterval(2),
                actionTaken: .flaggedForReview, responseSent: true, processingTimeMs: 2000, classificationTimeMs: 900, errorMessage: "Graph 503",
                errorStage: .act, retryCount: 2, context: #"{"stages":{"classify":900}}"#, confidenceRouting: #"{"decision":"HUMAN_REVIEW"}"#)
            try await store.saveProcessing(done, emailStatus: .failed)

            let processing = try await Self.rows(store, .processingResults)
            #expect(processing.count == 1)
            let row = try #require(processing.first)
            #expect(row["id"] == .string("proc-m1"))
            #expect(row["status"] == .string("failed"))
            #expect(row["action_taken"] == .string("flagged_for_review"))
            #expect(Self.bool(row["response_sent"]) == true)
            #expect(Self.bool(row["escalation_created"]) == false)
            #expect(Self.number(row["processing_time_ms"]) == 2000)
            #expect(Self.number(row["retry_count"]) == 2)
            #expect(row["error_stage"] == .string("act"))
            #expect(Self.json(row["processing_context"])?["stages"]?["classify"] == .number(900))

            let email = try #require(try await Self.rows(store, .emailMessages).first)
            #expect(email["processing_status"] == .string("failed"))
            #expect(Self.number(email["retry_count"]) == 2)
            #expect(email["last_error"] == .string("Graph 503"))
            #expect(email["processed_datetime"] != .null && email["processed_datetime"] != nil)
        }
    }

    @Test("a classification reads back as stored; the first one saved is kept (SQLite)")
    func classificationRoundTripSQLite() async throws { try await classificationRoundTrip(.sqlite) }

    @Test("a classification reads back as stored; the first one saved is kept (PostgreSQL)", .postgres)
    func classificationRoundTripPostgres() async throws { try await classificationRoundTrip(.postgres) }

    func classificationRoundTrip(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await Self.email("m1", store: store)
            #expect(try await store.classification(emailId: "m1") == nil)
            try await store.saveClassification(Self.classification, emailId: "m1")
            var expected = Self.classification
            expected.cues = []
            #expect(try await store.classification(emailId: "m1") == expected)

            var second = Self.classification
            second.category = .escalation
            second.tokensUsed = nil
            try await store.saveClassification(second, emailId: "m1")
            #expect(try await store.classification(emailId: "m1") == expected, "the first writer wins")

            // tokens_used may be NULL (the offline classifier).
            try await Self.email("m2", store: store)
            try await store.saveClassification(second, emailId: "m2")
            let local = try await store.classification(emailId: "m2")
            #expect(local?.category == .escalation && local?.tokensUsed == nil)
            let rows = try await Self.rows(store, .classificationResults)
            #expect(rows.compactMap { $0["id"]?.stringValue } == ["cls-m1", "cls-m2"])
        }
    }

    @Test("beginAction returns the stored record for a repeated key and writes one row (SQLite)")
    func actionsSQLite() async throws { try await actions(.sqlite) }

    @Test("beginAction returns the stored record for a repeated key and writes one row (PostgreSQL)", .postgres)
    func actionsPostgres() async throws { try await actions(.postgres) }

    func actions(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            let record = ActionRecord(inboxId: 7, emailId: "m1", action: .reply, idempotencyKey: "reply|m1", mode: .dryRun, request: #"{"to":"alice"}"#)
            let begun = try await store.beginAction(record)
            #expect(begun.id > 0 && begun.status == .started && begun.createdAt != nil && begun.completedAt == nil)
            #expect(begun.request == record.request && begun.inboxId == 7 && begun.emailId == "m1")

            try await store.finishAction(idempotencyKey: "reply|m1", status: .completed, result: #"{"draftId":"d1"}"#)
            var repeated = record
            repeated.request = #"{"to":"someone else"}"#
            let again = try await store.beginAction(repeated)
            #expect(again.id == begun.id)
            #expect(again.status == .completed && again.result == #"{"draftId":"d1"}"# && again.completedAt != nil)
            #expect(again.request == record.request, "the earlier record is returned unchanged")

            _ = try await store.beginAction(ActionRecord(inboxId: 8, emailId: nil, action: .flag, idempotencyKey: "flag|m2", mode: .live, request: nil))
            #expect(try await store.actionRecords(inboxId: nil).map(\.idempotencyKey) == ["reply|m1", "flag|m2"])
            #expect(try await store.actionRecords(inboxId: 7).map(\.id) == [begun.id])
            #expect(try await store.actionRecords(inboxId: 99).isEmpty)
        }
    }

    @Test("an escalation is saved once (SQLite)")
    func escalationsSQLite() async throws { try await escalations(.sqlite) }

    @Test("an escalation is saved once (PostgreSQL)", .postgres)
    func escalationsPostgres() async throws { try await escalations(.postgres) }

    func escalations(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await Self.email("m1", store: store)
            let record = EscalationRecord(
                id: "esc-m1", teamId: "19:chat@thread.v2", emailId: "m1", teamName: "Escalation: outage", teamDescription: "VPN down",
                members: ["a@contoso.com", "b@contoso.com"], ownerEmail: "a@contoso.com", teamsGroupUrl: "https://teams/x", channelId: nil,
                messageCount: 1)
            try await store.saveEscalation(record)
            try await store.saveEscalation(record)
            var sameTeam = record
            sameTeam.id = "esc-other"
            try await store.saveEscalation(sameTeam)

            let rows = try await Self.rows(store, .escalationTeams)
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row["id"] == .string("esc-m1"))
            #expect(Self.json(row["members"]) == .array([.string("a@contoso.com"), .string("b@contoso.com")]))
            #expect(Self.number(row["member_count"]) == 2)
            #expect(row["status"] == .string("active"))
            #expect(row["channel_id"] == .null)
        }
    }

    static func completion(_ emailId: String, at seen: Date, automation: Double, category: Category = .support, domain: String? = "contoso.com",
                           metrics: [PerformanceMetric] = []) -> ProcessingCompletion {
        ProcessingCompletion(
            processing: ProcessingRecord(id: "proc-\(emailId)", emailId: emailId, status: .completed, startedAt: seen, completedAt: seen),
            emailStatus: .completed,
            pattern: PatternObservation(
                patternId: "pat-0123456789abcdef", signature: "password reset for user <num>", description: "Password resets",
                emailId: emailId, category: category, senderDomain: domain, seenAt: seen, automationPotential: automation, confidence: 80),
            metrics: metrics)
    }

    @Test("completeProcessing counts a pattern once per email, with running means, counts and capped samples (SQLite)")
    func patternsSQLite() async throws { try await patterns(.sqlite) }

    @Test("completeProcessing counts a pattern once per email, with running means, counts and capped samples (PostgreSQL)", .postgres)
    func patternsPostgres() async throws { try await patterns(.postgres) }

    func patterns(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            for i in 1...12 { try await Self.email("m\(i)", store: store) }
            let first = Self.completion("m1", at: Self.seen, automation: 0.9)
            try await store.completeProcessing(first)
            try await store.completeProcessing(first)  // the same completed processing row: not counted again

            var patterns = try await Self.rows(store, .emailPatterns)
            #expect(patterns.count == 1)
            var row = try #require(patterns.first)
            #expect(row["id"] == .string("pat-0123456789abcdef") && row["pattern_id"] == .string("pat-0123456789abcdef"))
            #expect(Self.number(row["frequency"]) == 1)
            #expect(Self.number(row["automation_potential"]) == 0.9)
            #expect(Self.json(row["sample_emails"]) == .array([.string("m1")]))
            #expect(Self.json(row["sender_patterns"]) == .object(["contoso.com": .number(1)]))

            // A second email, seen earlier (out of order) under another category and with no sender domain.
            try await store.completeProcessing(Self.completion("m2", at: Self.seen.addingTimeInterval(-60), automation: 0.5, category: .information, domain: nil))
            patterns = try await Self.rows(store, .emailPatterns)
            row = try #require(patterns.first)
            #expect(Self.number(row["frequency"]) == 2)
            #expect(abs((Self.number(row["automation_potential"]) ?? 0) - 0.7) < 1e-9)
            #expect(abs((Self.number(row["confidence_level"]) ?? 0) - 80) < 1e-9)
            #expect(Self.json(row["affected_categories"]) == .object(["SUPPORT": .number(1), "INFORMATION": .number(1)]))
            #expect(Self.json(row["sender_patterns"]) == .object(["contoso.com": .number(1)]))
            #expect(Self.number(row["sample_count"]) == 2)

            for i in 3...12 { try await store.completeProcessing(Self.completion("m\(i)", at: Self.seen.addingTimeInterval(Double(i)), automation: 0.7)) }
            row = try #require(try await Self.rows(store, .emailPatterns).first)
            #expect(Self.number(row["frequency"]) == 12)
            #expect(Self.json(row["sample_emails"]) == .array((3...12).map { .string("m\($0)") }), "the 10 newest samples")
            #expect(Self.number(row["sample_count"]) == 10)
            #expect(Self.json(row["affected_categories"]) == .object(["SUPPORT": .number(11), "INFORMATION": .number(1)]))
            #expect(abs((Self.number(row["automation_potential"]) ?? 0) - (0.9 + 0.5 + 10 * 0.7) / 12) < 1e-9)

            let emails = try await store.emails(limit: 20)
            #expect(emails.allSatisfy { $0.processingStatus == .completed })
            #expect(try await Self.rows(store, .processingResults).count == 12)
        }
    }

    @Test("a failed processing row does not block counting when the email later completes (SQLite)")
    func retriedPatternSQLite() async throws { try await retriedPattern(.sqlite) }

    @Test("a failed processing row does not block counting when the email later completes (PostgreSQL)", .postgres)
    func retriedPatternPostgres() async throws { try await retriedPattern(.postgres) }

    func retriedPattern(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await Self.email("m1", store: store)
            var failed = Self.completion("m1", at: Self.seen, automation: 0.4)
            failed.processing.status = .failed
            failed.emailStatus = .failed
            failed.pattern = nil
            try await store.completeProcessing(failed)
            try await store.completeProcessing(Self.completion("m1", at: Self.seen, automation: 0.4))
            let row = try #require(try await Self.rows(store, .emailPatterns).first)
            #expect(Self.number(row["frequency"]) == 1)
        }
    }

    @Test("concurrent first sightings of a pattern and concurrent begins of one action neither fail nor double up (SQLite)")
    func concurrencySQLite() async throws { try await concurrency(.sqlite) }

    @Test("concurrent first sightings of a pattern and concurrent begins of one action neither fail nor double up (PostgreSQL)", .postgres)
    func concurrencyPostgres() async throws { try await concurrency(.postgres) }

    func concurrency(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            let ids = (1...8).map { "c\($0)" }
            for id in ids { try await Self.email(id, store: store) }
            let begun = try await withThrowingTaskGroup(of: ActionRecord?.self) { group in
                for id in ids {
                    group.addTask {
                        try await store.completeProcessing(Self.completion(id, at: Self.seen, automation: 0.5))
                        return nil
                    }
                    group.addTask {
                        try await store.beginAction(ActionRecord(inboxId: 1, emailId: nil, action: .flag, idempotencyKey: "same", mode: .live, request: nil))
                    }
                }
                var records: [ActionRecord] = []
                for try await record in group { if let record { records.append(record) } }
                return records
            }
            #expect(Set(begun.map(\.id)).count == 1)
            #expect(try await store.actionRecords(inboxId: nil).count == 1)
            let row = try #require(try await Self.rows(store, .emailPatterns).first)
            #expect(Self.number(row["frequency"]) == 8)
            #expect(Self.number(row["sample_count"]) == 8)
        }
    }

    @Test("completeProcessing inserts its metrics (SQLite)")
    func metricsSQLite() async throws { try await metrics(.sqlite) }

    @Test("completeProcessing inserts its metrics (PostgreSQL)", .postgres)
    func metricsPostgres() async throws { try await metrics(.postgres) }

    func metrics(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await Self.email("m1", store: store)
            var completion = Self.completion("m1", at: Self.seen, automation: 0.5, metrics: [
                PerformanceMetric(type: .stageTime, name: "classify", category: "pipeline", value: 812.5, unit: "ms", emailId: "m1",
                                  metadata: #"{"model":"gpt-test"}"#),
                PerformanceMetric(type: .stageTime, name: "total", category: "pipeline", value: 2000, unit: "ms", emailId: nil),
            ])
            completion.pattern = nil
            try await store.completeProcessing(completion)

            let rows = try await Self.rows(store, .performanceMetrics)
            #expect(rows.count == 2)
            let byName = Dictionary(rows.compactMap { row in row["metric_name"]?.stringValue.map { ($0, row) } }, uniquingKeysWith: { a, _ in a })
            let classify = try #require(byName["classify"])
            #expect(Self.number(classify["value"]) == 812.5)
            #expect(classify["value_unit"] == .string("ms") && classify["email_id"] == .string("m1"))
            #expect(Self.json(classify["metadata"]) == .object(["model": .string("gpt-test")]))
            #expect(Self.number(classify["sample_size"]) == 1 && classify["aggregation_method"] == .string("single"))
            #expect(classify["time_period_start"]?.stringValue != nil)
            let total = try #require(byName["total"])
            #expect(total["metadata"] == .null && total["email_id"] == .null)
            #expect(try await Self.rows(store, .emailPatterns).isEmpty)
        }
    }

    static let expectedColumns: [ReadableTable: [String]] = [
        .inbox: ["id", "dedupe_key", "payload", "status", "message_key"],
        .subscriptions: ["id", "subscription_id", "client_state", "mailbox_id"],
        .actionRecords: ["id", "inbox_id", "idempotency_key", "status", "result"],
        .auditLog: ["id", "at", "actor", "action", "detail"],
        .emailMessages: ["id", "sender_email", "subject", "processing_status", "created_at"],
        .classificationResults: ["id", "email_id", "category", "required_expertise", "tokens_used"],
        .processingResults: ["id", "email_id", "status", "processing_context", "confidence_routing"],
        .escalationTeams: ["id", "team_id", "members", "member_count"],
        .emailPatterns: ["id", "pattern_id", "frequency", "sample_emails", "affected_categories"],
        .patternObservations: ["id", "pattern_id", "email_id", "category", "seen_at"],
        .performanceMetrics: ["id", "metric_type", "value", "metadata"],
        .classificationFeedback: ["id", "email_id", "correct_category", "rating", "created_at"],
    ]

    @Test("tableRows reads every readable table as objects keyed by column (SQLite)")
    func tablesSQLite() async throws { try await tables(.sqlite) }

    @Test("tableRows reads every readable table as objects keyed by column (PostgreSQL)", .postgres)
    func tablesPostgres() async throws { try await tables(.postgres) }

    func tables(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            _ = try await store.insertInboxBatch([[NewInboxItem(source: .graph, kind: .graphNotification, dedupeKey: "k1", payload: "{}")]])
            try await store.saveSubscription(SubscriptionRecord(subscriptionId: "sub-1", resource: "r", mailbox: "m", clientState: "cs", expiration: nil, status: .active))
            try await store.appendAudit(actor: "test", action: "probe", subject: nil, detail: #"{"ok":true}"#)
            _ = try await store.beginAction(ActionRecord(inboxId: 1, emailId: "m1", action: .flag, idempotencyKey: "flag|m1", mode: .live, request: nil))
            for id in ["m1", "m2", "m3"] { try await Self.email(id, store: store) }
            try await store.saveClassification(Self.classification, emailId: "m1")
            try await store.saveEscalation(EscalationRecord(
                id: "esc-m1", teamId: "t1", emailId: "m1", teamName: "n", teamDescription: nil, members: [], ownerEmail: nil, teamsGroupUrl: nil,
                channelId: nil, messageCount: 0))
            try await store.completeProcessing(Self.completion("m1", at: Self.seen, automation: 0.5, metrics: [
                PerformanceMetric(type: .stageTime, name: "n", category: "c", value: 1, unit: "ms", emailId: "m1"),
            ]))
            #expect(try await store.recordFeedback(ClassificationFeedback(emailId: "m1", correctCategory: .support, rating: .correct)) != nil)

            for table in ReadableTable.allCases {
                // Reading email_patterns folds the observations away: one more to read.
                if table == .patternObservations { try await store.completeProcessing(Self.completion("m2", at: Self.seen, automation: 0.5)) }
                let rows = try await store.tableRows(table, limit: 100)
                #expect(rows.count >= 1, "\(table.rawValue) has a row")
                let keys = Set(rows.first?.objectValue?.keys.map { $0 } ?? [])
                let expected = Set(Self.expectedColumns[table] ?? [])
                #expect(keys.isSuperset(of: expected), "\(table.rawValue) is missing \(expected.subtracting(keys))")
            }
            // Insertion order for text ids, and the limit is applied.
            let emails = try await store.tableRows(.emailMessages, limit: 2)
            #expect(emails.compactMap { $0["id"]?.stringValue } == ["m1", "m2"])
            #expect(Self.json(try await Self.rows(store, .auditLog).first?["detail"]) == .object(["ok": .bool(true)]))
        }
    }
}
