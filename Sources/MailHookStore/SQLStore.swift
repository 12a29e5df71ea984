import Foundation
import MailHookCore

/// Every store role written once over ``SQLDatabase``: SQLite (``SQLiteDatabase``) and
/// PostgreSQL (``PostgresDatabase``) differ only in the SQL text their ``SQLDialect`` supplies.
/// Timestamps the store writes come from `now`, so tests can move time.
public final class SQLStore: StoreLifecycle {
    public let database: any SQLDatabase
    let now: @Sendable () -> Date
    /// Whether long analytics windows read closed days from the day cache (off: every window is
    /// counted live, as tests compare).
    let dayCache: Bool

    public init(database: any SQLDatabase, now: @escaping @Sendable () -> Date = { Date() }, dayCache: Bool = true) {
        self.database = database
        self.now = now
        self.dayCache = dayCache
    }

    public var kind: DatabaseKind {
        switch database.dialect {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    var dialect: SQLDialect { database.dialect }

    public var intakeWriters: Int { database.intakeWriters }

    @discardableResult
    public func migrate() async throws -> [String] {
        let dialect = dialect
        let migrations = try Migration.all(dialect: dialect.rawValue)
        return try await database.transaction { db in
            if let lock = dialect.migrationLock { try await db.run("\(raw: lock)") }
            try await db.run("\(raw: dialect.migrationsTable)")
            let done = Set(try await db.run("SELECT version FROM schema_migrations").compactMap { $0.string("version") })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                for statement in migration.statements { try await db.run("\(raw: statement)") }
                try await db.run("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))")
                applied.append(migration.name)
            }
            return applied
        }
    }

    public func ping() async throws {
        _ = try await database.read("SELECT 1")
    }

    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await database.withExclusiveLock(name, body)
    }

    public func close() async throws {
        try await database.close()
    }
}
