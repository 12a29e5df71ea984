import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Stores")
struct StoreTests {
    static let tables = [
        "email_messages", "classification_results", "processing_results", "escalation_teams", "email_patterns", "pattern_observations",
        "performance_metrics", "inbox", "subscriptions", "audit_log", "delta_state", "action_records", "classification_feedback",
        "analytics_day_versions", "analytics_day_cache", "analytics_day_totals", "analytics_day_stages", "analytics_day_decisions",
        "analytics_day_classifications", "analytics_day_routing", "sealed_credentials",
    ]

    static func withStore(_ database: TestDatabase, _ body: @Sendable (any DataStore) async throws -> Void) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            try await body(store)
        }
    }

    @Test("migrations create every table once and are idempotent (SQLite)")
    func migrationsSQLite() async throws { try await migrations(.sqlite) }

    @Test("migrations create every table once and are idempotent (PostgreSQL)", .postgres)
    func migrationsPostgres() async throws { try await migrations(.postgres) }

    func migrations(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            let both = ["0001_initial", "0002_message_identity", "0003_inbox_indexes", "0004_pipeline_records", "0005_vocabulary", "0006_safe_actions", "0007_claim_index", "0008_classification_feedback", "0009_analytics_days"]
            let postgresOnly = ["0010_analytics_touch_fast_path"]
            #expect(try await store.migrate() == both + (database == .postgres ? postgresOnly : []) + ["0011_pattern_observations"] + (database == .postgres ? ["0012_routing_jsonb"] : []) + ["0013_sealed_credentials"])
            #expect(try await store.migrate() == [])
            let tables = try await store.tableNames()
            #expect(tables.isSuperset(of: Set(Self.tables)), "missing: \(Set(Self.tables).subtracting(tables))")
            try await store.appendAudit(actor: "test", action: "probe", subject: "audit_log", detail: #"{"ok":true}"#)
        }
    }

    @Test("an item repeating another's message identity is a duplicate, whatever its dedupe key (SQLite)")
    func messageIdentitySQLite() async throws { try await messageIdentity(.sqlite) }

    @Test("an item repeating another's message identity is a duplicate, whatever its dedupe key (PostgreSQL)", .postgres)
    func messageIdentityPostgres() async throws { try await messageIdentity(.postgres) }

    func messageIdentity(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let key = NewInboxItem.messageKey(mailboxId: "0F0E-AA", messageId: "AAMk1=")
            let notification = NewInboxItem(source: .graph, kind: .graphNotification, dedupeKey: "graph|s|AAMk1=|created", messageKey: key, payload: "{}")
            let delta = NewInboxItem(source: .delta, kind: .deltaMessage, dedupeKey: key, messageKey: key, payload: "{}")
            let other = NewInboxItem(source: .graph, kind: .graphNotification, dedupeKey: "graph|s|AAMk2=|updated", payload: "{}")
            let outcomes = try await store.insertInboxBatch([[notification], [delta, other]])
            #expect(outcomes[1][0] == .duplicate)
            #expect(try await store.insertInboxBatch([[delta]])[0] == [.duplicate])
            #expect(try await store.inboxRows(limit: 10).map(\.dedupeKey) == ["graph|s|AAMk1=|created", "graph|s|AAMk2=|updated"])
        }
    }

    @Test("claims lease due rows once, retries come back when due, expired leases are reclaimed (SQLite)")
    func claimingSQLite() async throws { try await claiming(.sqlite) }

    @Test("claims lease due rows once, retries come back when due, expired leases are reclaimed (PostgreSQL)", .postgres)
    func claimingPostgres() async throws { try await claiming(.postgres) }

    func claiming(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            _ = try await store.insertInboxBatch([(0..<5).map {
                NewInboxItem(source: .graph, kind: $0 < 4 ? .graphLifecycle : .canonicalEvent, dedupeKey: "k\($0)", payload: "{}")
            }])
            let first = try await store.claimInbox(kinds: [.graphLifecycle], limit: 3, owner: "a", leaseSeconds: 60, maxAttempts: 6)
            #expect(first.map(\.dedupeKey) == ["k0", "k1", "k2"])
            #expect(first.allSatisfy { $0.status == .processing && $0.attempts == 1 })
            let second = try await store.claimInbox(kinds: [.graphLifecycle], limit: 10, owner: "b", leaseSeconds: 0, maxAttempts: 6)
            #expect(second.map(\.dedupeKey) == ["k3"], "claimed rows are not claimed again; other kinds are left alone")

            try await store.finishInbox(id: first[0].id, owner: "a", status: .completed, error: nil)
            try await store.retryInbox(id: first[1].id, owner: "a", error: "Graph 503", retryAt: Date().addingTimeInterval(3600))
            try await store.retryInbox(id: first[2].id, owner: "a", error: "Graph 503", retryAt: Date().addingTimeInterval(-1))
            // A finish by someone who does not hold the lease changes nothing.
            try await store.finishInbox(id: first[2].id, owner: "intruder", status: .completed, error: nil)

            // k2 is due again; k3's lease (0 s) expired, as after a crash; k1 waits an hour.
            let third = try await store.claimInbox(kinds: [.graphLifecycle], limit: 10, owner: "c", leaseSeconds: 60, maxAttempts: 6)
            #expect(third.map(\.dedupeKey) == ["k2", "k3"])
            #expect(third.map(\.attempts) == [2, 2])
            #expect(third[0].lastError == "Graph 503")
            let rows = try await store.inboxRows(limit: 10)
            #expect(rows.map(\.status) == [.completed, .pending, .processing, .processing, .pending])
        }
    }

    @Test("replay: dead-lettered rows, or one row by id, become due again with fresh attempts (SQLite)")
    func replaySQLite() async throws { try await replay(.sqlite) }

    @Test("replay: dead-lettered rows, or one row by id, become due again with fresh attempts (PostgreSQL)", .postgres)
    func replayPostgres() async throws { try await replay(.postgres) }

    func replay(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            _ = try await store.insertInboxBatch([(0..<3).map { NewInboxItem(source: .integration, kind: .graphLifecycle, dedupeKey: "r\($0)", payload: "{}") }])
            let claimed = try await store.claimInbox(kinds: [.graphLifecycle], limit: 3, owner: "w", leaseSeconds: 60, maxAttempts: 6)
            try await store.finishInbox(id: claimed[0].id, owner: "w", status: .dead, error: "Graph 500")
            try await store.finishInbox(id: claimed[1].id, owner: "w", status: .dead, error: "Graph 500")
            #expect(try await store.replayInbox(id: claimed[2].id) == 0, "a row in progress is left alone")
            #expect(try await store.replayInbox(id: nil) == 2)
            let again = try await store.claimInbox(kinds: [.graphLifecycle], limit: 10, owner: "w2", leaseSeconds: 60, maxAttempts: 6)
            #expect(again.map(\.id) == [claimed[0].id, claimed[1].id])
            #expect(again.allSatisfy { $0.attempts == 1 })
            try await store.finishInbox(id: again[0].id, owner: "w2", status: .completed, error: nil)
            #expect(try await store.replayInbox(id: again[0].id) == 1, "a completed row can be replayed by id")
        }
    }

    @Test("a row whose worker keeps dying is dead-lettered by the claim once its attempts are spent (SQLite)")
    func exhaustedClaimSQLite() async throws { try await exhaustedClaim(.sqlite) }

    @Test("a row whose worker keeps dying is dead-lettered by the claim once its attempts are spent (PostgreSQL)", .postgres)
    func exhaustedClaimPostgres() async throws { try await exhaustedClaim(.postgres) }

    func exhaustedClaim(_ database: TestDatabase) async throws {
        let clock = VirtualClock()
        let (store, services) = try await StoreFactory.open(try await database.makeDatabase(), logger: Logger(label: "test"), now: clock.now)
        try await Self.withServices(services) {
            try await store.migrate()
            _ = try await store.insertInboxBatch([[NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "crashy", payload: "{}")]])
            // Three claims whose leases lapse, as three crashed workers would leave them.
            for attempt in 1...3 {
                let rows = try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w\(attempt)", leaseSeconds: 60, maxAttempts: 3)
                #expect(rows.map(\.status) == [.processing] && rows.first?.attempts == attempt)
                clock.advance(minutes: 2)
            }
            let fourth = try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w4", leaseSeconds: 60, maxAttempts: 3)
            #expect(fourth.map(\.status) == [.dead])
            #expect(fourth.first?.lastError?.contains("after 3 attempts") == true)
            #expect(try await store.claimInbox(kinds: [.canonicalEvent], limit: 1, owner: "w5", leaseSeconds: 60, maxAttempts: 3).isEmpty)
            #expect(try await store.inboxRows(limit: 1).first?.status == .dead)
            try await store.close()
        }
    }

    /// Runs `body` while a store's background services (PostgreSQL's pool) run.
    static func withServices(_ services: [any Service], _ body: @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            defer { group.cancelAll() }
            try await body()
        }
    }

    @Test("subscription rows: pending before the create call, then active; updates; delta state (SQLite)")
    func subscriptionsAndDeltaSQLite() async throws { try await subscriptionsAndDelta(.sqlite) }

    @Test("subscription rows: pending before the create call, then active; updates; delta state (PostgreSQL)", .postgres)
    func subscriptionsAndDeltaPostgres() async throws { try await subscriptionsAndDelta(.postgres) }

    func subscriptionsAndDelta(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let row = try await store.insertPendingSubscription(
                mailbox: "it@example.com", mailboxId: nil, resource: "users/it@example.com/mailFolders('Inbox')/messages", clientState: "cs-1",
                notificationUrl: "https://hooks.example.com/webhooks/graph", lifecycleUrl: "https://hooks.example.com/webhooks/graph/lifecycle")
            #expect(try await store.subscriptionRows().map { [$0.subscriptionId, $0.clientState, $0.status.rawValue] } == [[nil, "cs-1", "pending"]])
            let expiry = Date(timeIntervalSince1970: 1_900_000_000)
            try await store.activateSubscription(rowId: row, subscriptionId: "sub-1", expiration: expiry, mailboxId: "guid-1")
            #expect(try await store.subscriptionRows().map { [$0.subscriptionId, $0.clientState, $0.status.rawValue] } == [["sub-1", "cs-1", "active"]])
            let renewed = Date(timeIntervalSince1970: 1_800_000_000)
            try await store.updateSubscription(rowId: row, SubscriptionChange(expiration: expiry.addingTimeInterval(60), lastRenewedAt: renewed, lastError: .some("boom")))
            try await store.updateSubscription(rowId: row, SubscriptionChange(lastError: .some(nil)))
            let rows = try await store.subscriptionRows()
            #expect(rows.count == 1)
            #expect(rows[0].subscriptionId == "sub-1" && rows[0].status == .active && rows[0].mailboxId == "guid-1")
            #expect(rows[0].expiration == expiry.addingTimeInterval(60))
            #expect(rows[0].lastRenewedAt == renewed)
            #expect(rows[0].lastError == nil)
            try await store.deleteSubscriptionRow(rowId: row)
            #expect(try await store.subscriptionRows().isEmpty)

            #expect(try await store.deltaState(mailbox: "m", folder: "Inbox") == nil)
            let state = DeltaState(mailbox: "m", folder: "Inbox", deltaLink: "https://graph/delta?$deltatoken=1", lastReceivedAt: expiry, lastSyncAt: renewed)
            try await store.saveDeltaState(state)
            var next = state
            next.deltaLink = nil
            try await store.saveDeltaState(next)
            #expect(try await store.deltaState(mailbox: "m", folder: "Inbox") == next)
        }
    }

    @Test("exclusive locks: one holder at a time (SQLite)")
    func exclusiveLockSQLite() async throws { try await exclusiveLock(.sqlite) }

    @Test("exclusive locks: one holder at a time (PostgreSQL)", .postgres)
    func exclusiveLockPostgres() async throws { try await exclusiveLock(.postgres) }

    func exclusiveLock(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let outer = try await store.withExclusiveLock("renewal") {
                try await store.withExclusiveLock("renewal") { "inner ran" }
            }
            #expect(outer == .some(nil), "the lock was held, so the inner body did not run")
            #expect(try await store.withExclusiveLock("renewal") { 1 } == 1, "released afterwards")
        }
    }

    @Test("cancelling a lock holder reaches its body and frees the lock (SQLite)")
    func exclusiveLockCancelSQLite() async throws { try await exclusiveLockCancel(.sqlite) }

    @Test("cancelling a lock holder reaches its body and frees the lock (PostgreSQL)", .postgres)
    func exclusiveLockCancelPostgres() async throws { try await exclusiveLockCancel(.postgres) }

    /// A shutdown cancels a delta round or renewal pass running under the lock; the body must see
    /// it rather than run on until it ends by itself.
    func exclusiveLockCancel(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let (held, heldSignal) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await store.withExclusiveLock("renewal") {
                    heldSignal.yield()
                    for await _ in release { break }
                    return Task.isCancelled
                }
            }
            for await _ in held { break }
            holder.cancel()
            let sawCancellation: Bool? = await withTaskGroup(of: Bool?.self) { race in
                race.addTask { (try? await holder.value) ?? nil }
                race.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
                let first = await race.next() ?? nil
                // A body the cancellation did not reach ends now, so the test fails instead of hanging.
                releaseSignal.finish()
                race.cancelAll()
                return first
            }
            #expect(sawCancellation == true, "the body ended because it was cancelled")
            #expect(try await store.withExclusiveLock("renewal") { 1 } == 1, "released afterwards")
        }
    }

    @Test("a batch reports inserted and duplicate items, including repeats within the batch (SQLite)")
    func batchOutcomesSQLite() async throws { try await batchOutcomes(.sqlite) }

    @Test("a batch reports inserted and duplicate items, including repeats within the batch (PostgreSQL)", .postgres)
    func batchOutcomesPostgres() async throws { try await batchOutcomes(.postgres) }

    func batchOutcomes(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            func item(_ key: String) -> NewInboxItem {
                NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "e", dedupeKey: key, payload: "{}")
            }
            let first = try await store.insertInboxBatch([[item("a"), item("b")], [item("a")]])
            guard case .inserted = first[0][0], case .inserted = first[0][1] else { Issue.record("\(first)"); return }
            #expect(first[1] == [.duplicate])
            let second = try await store.insertInboxBatch([[item("b"), item("c")]])
            #expect(second[0][0] == .duplicate)
            guard case .inserted = second[0][1] else { Issue.record("\(second)"); return }
            #expect(try await store.inboxRows(limit: 10).map(\.dedupeKey) == ["a", "b", "c"])
            #expect(try await store.inboxDepth() == 3)
            #expect(try await store.inboxDepth(limit: 2) == 2, "the count stops at its limit")
            #expect(try await store.inboxDepth(limit: 0) == 0)
        }
    }

    @Test("a batch larger than one statement is still one transaction (SQLite)")
    func largeBatchSQLite() async throws { try await largeBatch(.sqlite) }

    @Test("a batch larger than one statement is still one transaction (PostgreSQL)", .postgres)
    func largeBatchPostgres() async throws { try await largeBatch(.postgres) }

    func largeBatch(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let items = (0..<900).map { NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "big\($0)", payload: "{}") }
            let outcomes = try await store.insertInboxBatch([Array(items[..<450]), Array(items[450...]) + [items[0]]])
            #expect(outcomes[0].allSatisfy { $0 != .duplicate })
            #expect(outcomes[1].dropLast().allSatisfy { $0 != .duplicate })
            #expect(outcomes[1].last == .duplicate)
            #expect(try await store.inboxRows(limit: 2000).count == 900)
        }
    }

    @Test("the writer announces the kinds of new rows once they are committed, never of duplicates (SQLite)")
    func announcesKindsSQLite() async throws { try await announcesKinds(.sqlite) }

    @Test("the writer announces the kinds of new rows once they are committed, never of duplicates (PostgreSQL)", .postgres)
    func announcesKindsPostgres() async throws { try await announcesKinds(.postgres) }

    func announcesKinds(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let announced = Mutex<[Set<InboxKind>]>([])
            let writer = InboxWriter(store: store, flushers: 1, logger: Logger(label: "test")) { kinds in announced.withLock { $0.append(kinds) } }
            let group = ServiceGroup(services: [writer], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                _ = try await writer.submit([
                    NewInboxItem(source: .graph, kind: .graphNotification, dedupeKey: "n1", payload: "{}"),
                    NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "e1", payload: "{}"),
                ])
                _ = try await writer.submit([NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "e1", payload: "{}")])
                _ = try await writer.submit([NewInboxItem(source: .graph, kind: .graphLifecycle, dedupeKey: "l1", payload: "{}")])
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(announced.withLock { $0 } == [[.graphNotification, .canonicalEvent], [.graphLifecycle]])
        }
    }

    @Test("group commit: 500 concurrent submissions, each acknowledged once, all stored (SQLite)")
    func groupCommitSQLite() async throws { try await groupCommit(.sqlite) }

    @Test("group commit: 500 concurrent submissions, each acknowledged once, all stored (PostgreSQL)", .postgres)
    func groupCommitPostgres() async throws { try await groupCommit(.postgres) }

    func groupCommit(_ database: TestDatabase) async throws {
        try await Self.withStore(database) { store in
            try await store.migrate()
            let writer = InboxWriter(store: store, flushers: store.intakeWriters, logger: Logger(label: "test"))
            let group = ServiceGroup(services: [writer], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let outcomes = try await withThrowingTaskGroup(of: [InsertOutcome].self) { submits in
                    for i in 0..<500 {
                        submits.addTask {
                            try await writer.submit([
                                NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "k\(i % 400)", payload: #"{"i":\#(i)}"#),
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
                try await writer.submit([NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "late", payload: "{}")])
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
