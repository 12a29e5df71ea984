import Foundation
import Logging
@testable import MailHookStore
import NIOCore
import Testing

/// The SQLite writer connection: statements run synchronously on the writer's loop, prepared once.
@Suite("SQLite writer connection")
struct SQLiteWriterConnectionTests {
    static func withConnection(_ body: (SQLiteWriterConnection) async throws -> Void) async throws {
        let path = NSTemporaryDirectory() + "/writer-\(UUID().uuidString).db"
        let connection = try await SQLiteWriterConnection.open(path: path, on: SQLiteWriterThreads.loop)
        do {
            try await body(connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    @Test("values go in and come back as stored, with the columns' names")
    func roundTrip() async throws {
        try await Self.withConnection { c in
            _ = try await c.run("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT, b INTEGER, d TEXT, x BLOB)")
            let date = Date(timeIntervalSince1970: 1_780_000_000)
            let text = "Grüße \u{0} ✓"
            _ = try await c.run("INSERT INTO t VALUES (\(Int64.max), \(2.5), \(text), \(nil as String?), \(true), \(date), x'00ff')")
            let row = try #require(try await c.run("SELECT * FROM t").first)
            #expect(row["i"] == .integer(.max))
            #expect(row["r"] == .real(2.5))
            // The statement layer stores a NUL as U+FFFD (StorableText); the rest comes back whole.
            #expect(row["s"] == .text("Grüße \u{FFFD} ✓"))
            #expect(row["n"] == .null)
            #expect(row["b"] == .integer(1))
            #expect(row.date("d") == date)
            #expect(row["x"] == .text("AP8="))
        }
    }

    @Test("a statement is prepared once and reused; the cache starts over at its limit")
    func cache() async throws {
        try await Self.withConnection { c in
            _ = try await c.run("CREATE TABLE t (i INTEGER)")
            for i in 0..<5 { _ = try await c.run("INSERT INTO t VALUES (\(i))") }
            #expect(await c.preparedCount() == 2)
            for i in 0..<SQLiteWriterConnection.cacheLimit + 10 { _ = try await c.run("SELECT \(raw: String(i))") }
            #expect(await c.preparedCount() <= SQLiteWriterConnection.cacheLimit)
            #expect(try await c.run("SELECT count(*) AS n FROM t").first?["n"] == .integer(5))
        }
    }

    @Test("a failed statement gives SQLite's code and message, is no outage, and the next one runs")
    func failure() async throws {
        try await Self.withConnection { c in
            _ = try await c.run("CREATE TABLE t (id TEXT PRIMARY KEY)")
            _ = try await c.run("INSERT INTO t VALUES ('a')")
            let error = try await #require(throws: SQLiteWriterError.self) { try await c.run("INSERT INTO t VALUES ('a')") }
            #expect(error.code & 0xff == 19)
            #expect(error.description.contains("UNIQUE constraint failed"))
            #expect(!error.isStoreOutage)
            _ = try await c.run("INSERT INTO t VALUES ('b')")
            #expect(try await c.run("SELECT count(*) AS n FROM t").first?["n"] == .integer(2))
        }
    }

    @Test("a closed connection refuses statements as an outage")
    func closed() async throws {
        let path = NSTemporaryDirectory() + "/writer-\(UUID().uuidString).db"
        let c = try await SQLiteWriterConnection.open(path: path, on: SQLiteWriterThreads.loop)
        await c.close()
        let error = await #expect(throws: StoreUnavailable.self) { try await c.run("SELECT 1") }
        #expect(error?.isStoreOutage == true)
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test("a transaction's body, its statements and the commit run on the writer's loop")
    func onTheLoop() async throws {
        let path = NSTemporaryDirectory() + "/writer-\(UUID().uuidString).db"
        let db = try await SQLiteDatabase.open(path: path, logger: Logger(label: "test"))
        let onLoop = try await db.transaction(urgent: false) { executor in
            let before = SQLiteWriterThreads.loop.inEventLoop
            _ = try await executor.run("SELECT 1")
            return before && SQLiteWriterThreads.loop.inEventLoop
        }
        #expect(onLoop)
        try await db.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
