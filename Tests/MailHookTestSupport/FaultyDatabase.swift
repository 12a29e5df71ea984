import Foundation
import MailHookCore
import MailHookStore
import Synchronization

/// Wraps a real database and can be switched to fail every call, as an outage would.
public final class FaultyDatabase: SQLDatabase {
    private let base: any SQLDatabase
    private let failing = Atomic<Bool>(false)

    public init(_ base: any SQLDatabase) { self.base = base }

    public func setFailing(_ value: Bool) { failing.store(value, ordering: .sequentiallyConsistent) }

    private func check() throws {
        if failing.load(ordering: .sequentiallyConsistent) { throw StoreUnavailable("injected outage") }
    }

    public var dialect: SQLDialect { base.dialect }
    public var intakeWriters: Int { base.intakeWriters }

    nonisolated(nonsending) public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        try check()
        return try await base.read(statement)
    }

    nonisolated(nonsending) public func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        try check()
        return try await base.write(statement, urgent: urgent)
    }

    nonisolated(nonsending) public func transaction<T: Sendable>(urgent: Bool, _ body: nonisolated(nonsending) @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try check()
        return try await base.transaction(urgent: urgent, body)
    }

    nonisolated(nonsending) public func withExclusiveLock<T: Sendable>(_ name: String, _ body: nonisolated(nonsending) @escaping @Sendable () async throws -> T) async throws -> T? {
        try check()
        return try await base.withExclusiveLock(name, body)
    }

    nonisolated(nonsending) public func close() async throws { try await base.close() }
}

/// Hands a test the faulty database a server was built with.
public final class FaultyDatabaseBox: Sendable {
    private let box = Mutex<FaultyDatabase?>(nil)

    public init() {}

    public var database: FaultyDatabase? { box.withLock { $0 } }

    public func wrap(_ base: any SQLDatabase) -> any SQLDatabase {
        let wrapped = FaultyDatabase(base)
        box.withLock { $0 = wrapped }
        return wrapped
    }
}
