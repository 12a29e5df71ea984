import MailHookStore
import Synchronization

/// Wraps a real database and counts the calls made to it (a transaction counts as one write)
/// and the statements run (each one a round trip on PostgreSQL, BEGIN and COMMIT not counted).
public final class CountingDatabase: SQLDatabase {
    private let base: any SQLDatabase
    private let counts = Mutex<(reads: Int, writes: Int)>((0, 0))
    private let statementCount = StatementCounter()
    private let readTexts = Mutex<[String]>([])

    public init(_ base: any SQLDatabase) { self.base = base }

    public var reads: Int { counts.withLock { $0.reads } }
    public var writes: Int { counts.withLock { $0.writes } }
    public var statements: Int { statementCount.value.load(ordering: .relaxed) }
    /// Transactions that folded pattern observations (the pattern folder's, in the background).
    public var folds: Int { statementCount.folds.load(ordering: .relaxed) }
    /// Reads whose SQL mentions `text` (e.g. a table), since the last reset.
    public func reads(mentioning text: String) -> Int { readTexts.withLock { $0.filter { $0.contains(text) }.count } }
    public func reset() {
        counts.withLock { $0 = (0, 0) }
        statementCount.value.store(0, ordering: .relaxed)
        statementCount.folds.store(0, ordering: .relaxed)
        readTexts.withLock { $0 = [] }
    }

    public var dialect: SQLDialect { base.dialect }
    public var intakeWriters: Int { base.intakeWriters }

    nonisolated(nonsending) public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        counts.withLock { $0.reads += 1 }
        statementCount.value.add(1, ordering: .relaxed)
        readTexts.withLock { $0.append(statement.sql(base.dialect)) }
        return try await base.read(statement)
    }

    nonisolated(nonsending) public func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        counts.withLock { $0.writes += 1 }
        statementCount.value.add(1, ordering: .relaxed)
        return try await base.write(statement, urgent: urgent)
    }

    nonisolated(nonsending) public func transaction<T: Sendable>(urgent: Bool, _ body: nonisolated(nonsending) @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        counts.withLock { $0.writes += 1 }
        let counter = statementCount
        // No capture list: a closure with one is not inferred `nonisolated(nonsending)` (Swift 6.3)
        // and would run the body off the SQLite writer's thread.
        return try await base.transaction(urgent: urgent) { executor in
            try await body(Counted(base: executor, count: counter))
        }
    }

    nonisolated(nonsending) public func withExclusiveLock<T: Sendable>(_ name: String, _ body: nonisolated(nonsending) @escaping @Sendable () async throws -> T) async throws -> T? {
        try await base.withExclusiveLock(name, body)
    }

    nonisolated(nonsending) public func close() async throws { try await base.close() }
}

private final class StatementCounter: Sendable {
    let value = Atomic<Int>(0)
    let folds = Atomic<Int>(0)
}

private struct Counted: SQLExecutor {
    let base: any SQLExecutor
    let count: StatementCounter

    nonisolated(nonsending) func run(_ statement: SQLStatement) async throws -> [SQLRow] {
        count.value.add(1, ordering: .relaxed)
        if statement.sql(.sqlite).hasPrefix("DELETE FROM pattern_observations") { count.folds.add(1, ordering: .relaxed) }
        return try await base.run(statement)
    }
}

/// Hands a test the counting database a server was built with.
public final class CountingDatabaseBox: Sendable {
    private let box = Mutex<CountingDatabase?>(nil)

    public init() {}

    public var database: CountingDatabase? { box.withLock { $0 } }

    public func wrap(_ base: any SQLDatabase) -> any SQLDatabase {
        let wrapped = CountingDatabase(base)
        box.withLock { $0 = wrapped }
        return wrapped
    }
}
