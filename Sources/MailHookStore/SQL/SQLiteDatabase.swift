import Foundation
import Logging
import MailHookCore
import NIOCore
import SQLiteNIO
import Synchronization

/// The embedded database: one SQLite file in WAL mode. One writer connection, whose writes are
/// group-committed by ``SQLiteCommitQueue``, and one reader connection, which WAL lets run
/// alongside. `synchronous=FULL` makes every commit durable before it returns, so an acknowledged
/// event survives a crash or power loss; group commit keeps that affordable. While
/// ``runCheckpoints(every:restartAbove:logger:)`` runs, WAL checkpoints happen on a connection and thread of their own
/// instead of inside whichever commit crossed the threshold.
public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let intakeWriters = 1
    public let path: String
    let writer: SQLiteWriterConnection
    /// Nil for an in-memory database, which only its own connection sees.
    let reader: SQLiteConnection?
    let commits: SQLiteCommitQueue
    /// Checkpoints run by ``runCheckpoints(every:restartAbove:logger:)``.
    let checkpoints = Atomic<Int>(0)
    private let heldLocks = Mutex<Set<String>>([])

    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        if path != ":memory:" {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        let writer = try await SQLiteWriterConnection.open(path: path, on: SQLiteWriterThreads.loop)
        // An in-memory database is private to its connection, so reads go to the writer there.
        let reader = path == ":memory:" ? nil : try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            for pragma: SQLStatement in ["PRAGMA busy_timeout = 10000", "PRAGMA foreign_keys = ON"] {
                _ = try await writer.run(pragma)
                if let reader { _ = try await run(pragma, on: reader) }
            }
            if path != ":memory:" {
                let mode = try await writer.run("PRAGMA journal_mode = WAL").first?.string("journal_mode")
                guard mode == "wal" else { throw StoreUnavailable("SQLite refused WAL mode (got \(mode ?? "nothing"))") }
            }
            _ = try await writer.run("PRAGMA synchronous = FULL")
            // After a burst the log is cut back to this size when it starts over.
            _ = try await writer.run("PRAGMA journal_size_limit = 67108864")
        } catch {
            await writer.close()
            try? await reader?.close()
            throw error
        }
        return SQLiteDatabase(path: path, writer: writer, reader: reader)
    }

    private init(path: String, writer: SQLiteWriterConnection, reader: SQLiteConnection?) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.commits = SQLiteCommitQueue(connection: writer)
    }

    public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        guard let reader else { return try await commits.run(statement, urgent: false) }
        return try await Self.run(statement, on: reader)
    }

    public func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        try await commits.run(statement, urgent: urgent)
    }

    public func transaction<T: Sendable>(urgent: Bool, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await commits.transaction(urgent: urgent, body)
    }

    /// SQLite serves one node, so an in-process lock is the whole story.
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        guard heldLocks.withLock({ $0.insert(name).inserted }) else { return nil }
        defer { _ = heldLocks.withLock { $0.remove(name) } }
        return try await body()
    }

    public func close() async throws {
        await writer.close()
        try await reader?.close()
    }

    /// A statement on a SQLiteNIO connection (the reader).
    static func run(_ statement: SQLStatement, on connection: SQLiteConnection) async throws -> [SQLRow] {
        let rows = try await connection.query(statement.sql(.sqlite), statement.binds.map(Self.data))
        return rows.map { row in
            SQLRow(columns: row.columns.map(\.name), values: row.columns.map { Self.value($0.data) })
        }
    }

    static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .text(let s): .text(s)
        case .integer(let n): .integer(Int(n))
        case .real(let d): .float(d)
        case .bool(let b): .integer(b ? 1 : 0)
        case .date(let d): .text(GraphDate.format(d))
        }
    }

    static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let n): .integer(Int64(n))
        case .float(let d): .real(d)
        case .text(let s): .text(s)
        case .blob(let buffer): .text(Data(buffer.readableBytesView).base64EncodedString())
        case .null: .null
        }
    }
}
