/// Runs statements inside a transaction that someone else opened.
public protocol SQLExecutor: Sendable {
    @discardableResult
    func run(_ statement: SQLStatement) async throws -> [SQLRow]
}

/// A database connection (or pool) behind the SQL seam: the one place that knows the driver.
/// The store writes each statement once; the adapters bind values, convert rows and own
/// transactions, and each says which ``SQLDialect`` it speaks.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }

    /// Urgent writes (the receive path's group commits) that may be in flight at once: one where
    /// the database has one writer, one per connection of PostgreSQL's intake pool.
    var intakeWriters: Int { get }

    /// A read outside any write transaction (SQLite reads from its own connection, which WAL
    /// lets run next to the writer).
    func read(_ statement: SQLStatement) async throws -> [SQLRow]

    /// One statement as its own transaction. `urgent` writes (the receive path's, whose senders
    /// wait for the commit) go ahead of queued pipeline writes where the database has one writer.
    @discardableResult
    func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow]

    /// `body`'s statements in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(urgent: Bool, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T

    /// Runs `body` only while this process holds the named lock (one replica at a time);
    /// returns nil without running it when another holder has it.
    func withExclusiveLock<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T?

    func close() async throws
}

extension SQLDatabase {
    @discardableResult
    func write(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await write(statement, urgent: false)
    }

    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await transaction(urgent: false, body)
    }
}
