import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded store: one SQLite file in WAL mode. One writer connection (every write
/// transaction holds ``AsyncLock``) and one reader connection, which WAL lets run alongside.
/// `synchronous=FULL` makes every commit durable before it returns, so an acknowledged event
/// survives a crash or power loss; the group commit keeps that affordable.
public final class SQLiteStore: MailHookStore {
    public let kind = "sqlite"
    public let path: String
    let writer: SQLiteConnection
    let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    let logger: Logger
    let heldLocks = Mutex<Set<String>>([])

    /// Rows per INSERT statement (7 bound values each, well under SQLite's variable limit).
    static let rowsPerStatement = 400

    public static func open(path: String, logger: Logger) async throws -> SQLiteStore {
        if path != ":memory:" {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        let storage: SQLiteConnection.Storage = path == ":memory:" ? .memory : .file(path: path)
        let writer = try await SQLiteConnection.open(storage: storage, logger: logger)
        // An in-memory database is private to its connection, so both roles share it there.
        let reader = path == ":memory:" ? writer : try await SQLiteConnection.open(storage: storage, logger: logger)
        for connection in reader === writer ? [writer] : [writer, reader] {
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
        }
        if path != ":memory:" {
            let mode = try await writer.query("PRAGMA journal_mode = WAL").first?.column("journal_mode")?.string
            guard mode == "wal" else { throw StoreUnavailable("SQLite refused WAL mode (got \(mode ?? "nothing"))") }
        }
        _ = try await writer.query("PRAGMA synchronous = FULL")
        return SQLiteStore(path: path, writer: writer, reader: reader, logger: logger)
    }

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.path = path
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT` on the writer connection.
    func transaction<T: Sendable>(urgent: Bool = false, _ body: @Sendable (SQLiteConnection) async throws -> T) async throws -> T {
        try await writeLock.withLock(urgent: urgent) {
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(writer)
                _ = try await writer.query("COMMIT")
                return value
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [String] {
        let migrations = try Migration.all(dialect: "sqlite")
        return try await transaction { db in
            _ = try await db.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version TEXT PRIMARY KEY, name TEXT NOT NULL,
                    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
                """)
            let done = Set(try await db.query("SELECT version FROM schema_migrations").compactMap { $0.column("version")?.string })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                for statement in migration.statements { _ = try await db.query(statement) }
                _ = try await db.query("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [.text(migration.version), .text(migration.name)])
                applied.append(migration.name)
            }
            return applied
        }
    }

    public func ping() async throws {
        _ = try await reader.query("SELECT 1")
    }

    public func tableNames() async throws -> Set<String> {
        Set(try await reader.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.column("name")?.string })
    }

    // MARK: Inbox

    public func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]] {
        let items = groups.flatMap { $0 }
        guard !items.isEmpty else { return groups.map { _ in [] } }
        let chunks = stride(from: 0, to: items.count, by: Self.rowsPerStatement).map { items[$0..<min($0 + Self.rowsPerStatement, items.count)] }
        let inserted: [String: Int64]
        if chunks.count == 1 {
            // One statement is its own transaction: a single round trip to the database thread.
            inserted = try await writeLock.withLock(urgent: true) { try await Self.insert(chunks[0], on: writer) }
        } else {
            inserted = try await transaction(urgent: true) { db in
                var ids: [String: Int64] = [:]
                for chunk in chunks { ids.merge(try await Self.insert(chunk, on: db)) { first, _ in first } }
                return ids
            }
        }
        return InboxOutcomes.assign(groups: groups, inserted: inserted)
    }

    /// One multi-row INSERT; returns the dedupe keys it inserted with their row ids.
    private static func insert(_ chunk: ArraySlice<NewInboxItem>, on db: SQLiteConnection) async throws -> [String: Int64] {
        let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
        var binds: [SQLiteData] = []
        binds.reserveCapacity(chunk.count * 7)
        for item in chunk {
            binds.append(.text(item.source))
            binds.append(.text(item.kind.rawValue))
            binds.append(item.endpoint.map { .text($0) } ?? .null)
            binds.append(item.subscriptionId.map { .text($0) } ?? .null)
            binds.append(.text(item.dedupeKey))
            binds.append(item.messageKey.map { .text($0) } ?? .null)
            binds.append(.text(item.payload))
        }
        // No conflict target: a repeat of either the dedupe key or the message identity is a duplicate.
        let rows = try await db.query("""
            INSERT INTO inbox (source, kind, endpoint, subscription_id, dedupe_key, message_key, payload)
            VALUES \(placeholders)
            ON CONFLICT DO NOTHING
            RETURNING id, dedupe_key
            """, binds)
        var ids: [String: Int64] = [:]
        for row in rows {
            if let key = row.column("dedupe_key")?.string, let id = row.column("id")?.integer { ids[key] = Int64(id) }
        }
        return ids
    }

    public func inboxDepth() async throws -> Int {
        let rows = try await reader.query("SELECT count(*) AS n FROM inbox WHERE status IN ('pending', 'processing')")
        return Int(rows.first?.column("n")?.integer ?? 0)
    }

    public func inboxRows(limit: Int) async throws -> [InboxRow] {
        try await reader.query("SELECT \(Self.inboxColumns) FROM inbox ORDER BY id LIMIT ?", [.integer(limit)]).map(Self.inboxRow)
    }

    static let inboxColumns = "id, source, kind, endpoint, subscription_id, dedupe_key, message_key, payload, status, attempts, last_error"

    static func inboxRow(_ row: SQLiteRow) -> InboxRow {
        InboxRow(
            id: Int64(row.column("id")?.integer ?? 0),
            source: row.column("source")?.string ?? "",
            kind: row.column("kind")?.string ?? "",
            endpoint: row.column("endpoint")?.string,
            subscriptionId: row.column("subscription_id")?.string,
            dedupeKey: row.column("dedupe_key")?.string ?? "",
            messageKey: row.column("message_key")?.string,
            payload: row.column("payload")?.string ?? "",
            status: row.column("status")?.string ?? "",
            attempts: Int(row.column("attempts")?.integer ?? 0),
            lastError: row.column("last_error")?.string)
    }

    // MARK: Subscriptions

    public func clientStates(forSubscription subscriptionId: String) async throws -> ClientStateCandidates {
        let rows = try await reader.query("""
            SELECT subscription_id, client_state, status FROM subscriptions
            WHERE subscription_id = ? OR (subscription_id IS NULL AND status = 'pending')
            """, [.text(subscriptionId)])
        var known: String?
        var pending: [String] = []
        for row in rows {
            guard let state = row.column("client_state")?.string else { continue }
            if row.column("subscription_id")?.string == subscriptionId { known = state } else { pending.append(state) }
        }
        return ClientStateCandidates(known: known, pending: pending)
    }

    public func saveSubscription(_ s: SubscriptionRecord) async throws {
        let expiration: SQLiteData = s.expiration.map { .text(GraphDate.format($0)) } ?? .null
        _ = try await transaction { db in
            if let id = s.subscriptionId {
                _ = try await db.query("""
                    INSERT INTO subscriptions (subscription_id, resource, mailbox, client_state, expiration, status)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (subscription_id) DO UPDATE SET resource = excluded.resource, mailbox = excluded.mailbox,
                        client_state = excluded.client_state, expiration = excluded.expiration, status = excluded.status,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                    """, [.text(id), .text(s.resource), .text(s.mailbox), .text(s.clientState), expiration, .text(s.status)])
            } else {
                _ = try await db.query("""
                    INSERT INTO subscriptions (resource, mailbox, client_state, expiration, status) VALUES (?, ?, ?, ?, ?)
                    """, [.text(s.resource), .text(s.mailbox), .text(s.clientState), expiration, .text(s.status)])
            }
            return true
        }
    }

    public func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws {
        _ = try await transaction { db in
            _ = try await db.query(
                "INSERT INTO audit_log (actor, action, subject, detail) VALUES (?, ?, ?, ?)",
                [.text(actor), .text(action), subject.map { .text($0) } ?? .null, detail.map { .text($0) } ?? .null])
            return true
        }
    }

    public func close() async throws {
        try await writer.close()
        if reader !== writer { try await reader.close() }
    }
}

enum InboxOutcomes {
    /// Maps the keys a batch actually inserted back onto each group's items; a key repeated
    /// within the batch counts as inserted once, then as a duplicate.
    static func assign(groups: [[NewInboxItem]], inserted: [String: Int64]) -> [[InsertOutcome]] {
        var claimed = Set<String>()
        return groups.map { group in
            group.map { item in
                if let id = inserted[item.dedupeKey], claimed.insert(item.dedupeKey).inserted {
                    return .inserted(id: id)
                }
                return .duplicate
            }
        }
    }
}
