import Foundation
import Logging
import MailHookCore
@testable import MailHookStore
import MailHookTestSupport
import Testing

/// On PostgreSQL the receive path's group commits have connections of their own
/// (`database.intakeConnections`): an acknowledgement never waits for a pooled connection
/// behind pipeline work, however busy the pool is.
@Suite("PostgreSQL intake connections")
struct PostgresIntakePoolTests {
    @Test("with every pooled connection busy, urgent writes still commit and ordinary ones wait", .postgres)
    func intakeBesideAFullPool() async throws {
        let config = try await TestDatabase.postgres.makeDatabase()
        guard case .postgres(let url) = config.url else { throw TestSupportError("not PostgreSQL") }
        let database = PostgresDatabase(
            configuration: url, maxConnections: 1, intakeConnections: 1, logger: Logger(label: "test"), connectionWait: .seconds(1))
        let store = SQLStore(database: database)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await database.run() }
            defer { tasks.cancelAll() }
            try await store.migrate()
            #expect(store.intakeWriters == 1)

            // The pool's only connection is busy with a statement of its own until the test
            // cancels it (a fixed sleep could end before a loaded machine gets to the checks).
            tasks.addTask { _ = try? await database.read("SELECT pg_sleep(20)") }
            let sleeping = "FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'SELECT pg\\_sleep%'"
            var busy = false
            for _ in 0..<200 where !busy {
                let active = try await database.write("SELECT count(*) AS n \(raw: sleeping)", urgent: true)
                busy = active.first?.int("n") == 1
                if !busy { await Task.yield() }
            }
            #expect(busy, "the pooled connection is running the long statement")

            // The pool is really exhausted: an ordinary statement gives up waiting for it.
            await #expect(throws: StoreUnavailable.self) { try await database.read("SELECT 1") }
            // The receive path's insert goes through on its own connection, well before the pool frees up.
            let inserted = try await store.insertInboxBatch([[
                NewInboxItem(source: .integration, kind: .canonicalEvent, dedupeKey: "beside-the-pool", payload: "{}"),
            ]])
            #expect(inserted.first?.count == 1 && inserted.first?.first != .duplicate)
            let stored = try await database.write("SELECT dedupe_key FROM inbox", urgent: true)
            #expect(stored.map { $0.string("dedupe_key") } == ["beside-the-pool"])
            _ = try await database.write("SELECT pg_cancel_backend(pid) \(raw: sleeping)", urgent: true)
        }
    }

    @Test("a statement past its deadline fails and its connection is closed before the caller's next statement asks for one", .postgres)
    func deadlineClosesFirst() async throws {
        let config = try await TestDatabase.postgres.makeDatabase()
        guard case .postgres(let url) = config.url else { throw TestSupportError("not PostgreSQL") }
        let database = PostgresDatabase(
            configuration: url, maxConnections: 1, intakeConnections: 1, logger: Logger(label: "test"), statementTimeout: .milliseconds(300))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await database.run() }
            defer { tasks.cancelAll() }
            for _ in 0..<10 {
                await #expect(throws: StoreUnavailable.self) { try await database.read("SELECT pg_sleep(2)") }
                let next = try await database.read("SELECT 1 AS one")
                #expect(next.first?.int("one") == 1, "the next statement gets a working connection")
            }
        }
    }

    @Test("each pool's sessions name themselves to PostgreSQL", .postgres)
    func sessionsAreNamed() async throws {
        let config = try await TestDatabase.postgres.makeDatabase()
        guard case .postgres(let url) = config.url else { throw TestSupportError("not PostgreSQL") }
        let database = PostgresDatabase(configuration: url, maxConnections: 1, intakeConnections: 1, logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await database.run() }
            defer { tasks.cancelAll() }
            let main = try await database.read("SELECT current_setting('application_name') AS name")
            let intake = try await database.write("SELECT current_setting('application_name') AS name", urgent: true)
            #expect(main.first?.string("name") == "mailhook")
            #expect(intake.first?.string("name") == "mailhook-intake")
        }
    }

    @Test("SQLite has one writer for acknowledgements and pipeline alike")
    func sqliteHasOneIntakeWriter() async throws {
        let sqlite = try await SQLiteDatabase.open(path: ":memory:", logger: Logger(label: "test"))
        #expect(SQLStore(database: sqlite).intakeWriters == 1)
        try await sqlite.close()
    }
}
