import Foundation
import Logging
import MailHookCore
@testable import MailHookStore
import MailHookTestSupport
import Testing

/// The statements marked `prepare` run as named prepared statements on PostgreSQL: one name per
/// text and value types, prepared once per connection; a failed preparation never sticks to a
/// connection. (SQLite's writer keeps its own statement cache: SQLiteWriterConnectionTests.)
@Suite("PostgreSQL prepared statements")
struct PostgresPreparedStatementTests {
    /// One pooled connection, so every statement runs on the same session.
    static func withDatabase(prepared: Bool, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        var config = try await TestDatabase.postgres.makeDatabase()
        config.maxConnections = 1
        config.preparedStatements = prepared
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            try await body(store.database)
        }
    }

    static func names(_ db: any SQLDatabase) async throws -> [String] {
        try await db.read("SELECT name FROM pg_prepared_statements WHERE name LIKE 'mh\\_%' ORDER BY name").compactMap { $0.string("name") }
    }

    static func length(_ value: String?) -> SQLStatement {
        SQLStatement("SELECT \(value)::text IS NULL AS missing, length(\(value)::text) AS len").prepared()
    }

    @Test("a marked statement is prepared once per text and value types and answers right each time; unmarked ones are not", .postgres)
    func reuse() async throws {
        try await Self.withDatabase(prepared: true) { db in
            for _ in 0..<3 {
                let row = try #require(try await db.read(Self.length("abc")).first)
                #expect(row.bool("missing") == false && row.int("len") == 3)
            }
            let null = try #require(try await db.read(Self.length(nil)).first)
            #expect(null.bool("missing") == true && null["len"] == .null)
            _ = try await db.read("SELECT \(Int64(7)) + 1 AS n")
            #expect(try await Self.names(db).count == 2, "one for text, one for NULL; the unmarked statement has none")
            // Inside a transaction as well.
            let len = try await db.transaction(urgent: false) { tx in try await tx.run(Self.length("abcd")).first?.int("len") ?? 0 }
            #expect(len == 4)
            #expect(try await Self.names(db).count == 2)
        }
    }

    @Test("names: one per text and value types, only for marked statements with values, at most the limit")
    func names() {
        let names = PostgresPreparedStatements()
        func name(_ statement: SQLStatement) -> String? { names.name(for: statement, text: statement.sql(.postgres)) }
        let text = SQLStatement("SELECT \("a")::text").prepared()
        let first = name(text)
        #expect(first != nil && name(text) == first)
        #expect(name(SQLStatement("SELECT \(Int64(1))::text").prepared()) != first, "other value types, another name")
        #expect(name(SQLStatement("SELECT \("a")::text")) == nil, "not marked")
        #expect(name(SQLStatement("SELECT 1").prepared()) == nil, "no values")
        for i in 0..<PostgresPreparedStatements.limit { _ = name(SQLStatement("SELECT \(Int64(i)) + \(raw: String(i))").prepared()) }
        #expect(name(SQLStatement("SELECT \("past the limit")::text || 'x'").prepared()) == nil)
        #expect(name(text) == first, "names given stay")
    }

    @Test("with database.preparedStatements off nothing is prepared", .postgres)
    func off() async throws {
        try await Self.withDatabase(prepared: false) { db in
            for _ in 0..<3 {
                let len = try await db.read(Self.length("abc")).first?.int("len")
                #expect(len == 3)
            }
            #expect(try await Self.names(db).isEmpty)
        }
    }

    @Test("a statement whose preparation failed works once it can; an execution error keeps the connection", .postgres)
    func failures() async throws {
        try await Self.withDatabase(prepared: true) { db in
            let lookup = SQLStatement("SELECT n FROM later_table WHERE n = \(Int64(5))").prepared()
            // Each failed preparation replaces the one connection; the statement straight after
            // it must never be handed the connection while it closes.
            for _ in 0..<40 {
                await #expect(throws: (any Error).self) { try await db.read(lookup) }
                #expect(try await db.read("SELECT 1 AS one").first?.int("one") == 1)
            }
            _ = try await db.write("CREATE TABLE later_table (n BIGINT PRIMARY KEY)", urgent: false)
            _ = try await db.write("INSERT INTO later_table (n) VALUES (5)", urgent: false)
            #expect(try await db.read(lookup).first?.int("n") == 5, "the failed preparation did not stay with the connection")

            let pid = try await db.read("SELECT pg_backend_pid() AS pid").first?.int("pid")
            let insert = SQLStatement("INSERT INTO later_table (n) VALUES (\(Int64(5)))").prepared()
            await #expect(throws: (any Error).self) { try await db.write(insert, urgent: false) }
            #expect(try await db.read("SELECT pg_backend_pid() AS pid").first?.int("pid") == pid, "a unique violation keeps the connection")
        }
    }
}
