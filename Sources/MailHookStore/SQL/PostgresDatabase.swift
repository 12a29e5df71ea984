import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The production database: a pooled `PostgresClient` shared by every replica, and a small pool
/// of its own for urgent writes. The pools' background work runs as a service (``run()``) while
/// the database is used.
public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    public let client: PostgresClient
    /// Connections of their own for urgent writes (the receive path's group commits), so an
    /// acknowledgement never queues for a connection behind the pipeline's statements.
    let intakeClient: PostgresClient
    /// How many urgent writes run at once: the intake pool's size.
    public let intakeWriters: Int
    let logger: Logger
    /// Opens once the pool runs: queries wait for it instead of racing the pool's start.
    let running = OnceGate()
    /// How long an operation waits for a pooled connection. While the server is down the pool
    /// waits indefinitely; a bound turns that into ``StoreUnavailable`` (a 503 on intake).
    let connectionWait: Duration
    /// A statement with no answer after this long has its connection closed, which fails it: a
    /// connection the server dropped mid-statement can otherwise wait forever.
    let statementTimeout: Duration
    /// Names for the statements kept prepared; nil when `database.preparedStatements` is off.
    let prepared: PostgresPreparedStatements?

    public init(
        configuration url: DatabaseURL.Postgres, maxConnections: Int, intakeConnections: Int = 2, logger: Logger,
        connectionWait: Duration = .seconds(5), statementTimeout: Duration = .seconds(30), preparedStatements: Bool = true
    ) {
        self.connectionWait = connectionWait
        self.statementTimeout = statementTimeout
        self.prepared = preparedStatements ? PostgresPreparedStatements() : nil
        let tls: PostgresClient.Configuration.TLS = switch url.tlsMode {
        case .require: .require(.makeClientConfiguration())
        case .prefer: .prefer(.makeClientConfiguration())
        case .disable: .disable
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password?.value, database: url.database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        // Named, so a DBA can tell MailHook's sessions (and which pool) in pg_stat_activity and the log.
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName)]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.intakeWriters = max(1, intakeConnections)
        configuration.options.maximumConnections = self.intakeWriters
        configuration.options.additionalStartupParameters = [("application_name", Self.applicationName + "-intake")]
        self.intakeClient = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// `application_name` of the main pool's sessions; the intake pool's add `-intake`.
    static let applicationName = "mailhook"

    /// The pool's background work; must run (as a service) while the database is used.
    public func run() async {
        let (mainEntered, intakeEntered) = (OnceGate(), OnceGate())
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                mainEntered.open()
                await self.client.run()
            }
            group.addTask {
                intakeEntered.open()
                await self.intakeClient.run()
            }
            // Each pool marks itself running in run()'s first step (a query before that is only
            // logged as a warning): wait until both tasks are there, however loaded the machine
            // is, then give them that step.
            await mainEntered.wait()
            await intakeEntered.wait()
            try? await Task.sleep(for: .milliseconds(10))
            running.open()
            await group.waitForAll()
        }
    }

    public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await write(statement, urgent: false)
    }

    public func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        let (timeout, prepared) = (statementTimeout, prepared)
        return try await leased(urgent ? intakeClient : client) { connection, logger in
            try await Self.run(statement, on: connection, timeout: timeout, prepared: prepared, logger: logger)
        }
    }

    public func transaction<T: Sendable>(urgent: Bool, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let (timeout, prepared) = (statementTimeout, prepared)
        return try await leased(urgent ? intakeClient : client) { connection, logger in
            let executor = Executor(connection: connection, timeout: timeout, prepared: prepared, logger: logger)
            _ = try await executor.run("BEGIN")
            let value: T
            do {
                value = try await body(executor)
            } catch {
                // A statement that timed out closed the connection: nothing to roll back on it.
                if !(error is StoreUnavailable) { _ = try? await executor.run("ROLLBACK") }
                throw error
            }
            _ = try await executor.run("COMMIT")
            return value
        }
    }

    /// A session advisory lock held on one pooled connection for the length of `body`.
    ///
    /// The pooled work runs in a task of its own (see ``leased(_:_:)``), which the caller's
    /// cancellation does not reach; `body` (a delta round, a renewal pass) is therefore run as a
    /// task that the caller's cancellation cancels, so a shutdown does not wait for it to finish
    /// by itself. The unlock still runs uncancelled.
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let key = Self.lockKey(name)
        let work = CancellableWork<T>()
        return try await withTaskCancellationHandler {
            try await leased { conn, logger in
                // Held for the whole of `body`, which may be long (a delta round): not timed out.
                var acquired = false
                for try await got in try await conn.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) { acquired = got }
                guard acquired else { return nil }
                do {
                    let value = try await work.run(body)
                    try await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                    return value
                } catch {
                    _ = try? await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                    throw error
                }
            }
        } onCancel: {
            work.cancel()
        }
    }

    /// A body run as a task of its own that a cancellation reaches whenever it comes: before the
    /// task exists (it starts cancelled) or while it runs.
    final class CancellableWork<T: Sendable>: Sendable {
        private let state = Mutex<(task: Task<T, any Error>?, cancelled: Bool)>((nil, false))

        func run(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
            let task = Task { try await body() }
            let cancelled = state.withLock { s -> Bool in
                s.task = task
                return s.cancelled
            }
            if cancelled { task.cancel() }
            return try await task.value
        }

        func cancel() {
            let task = state.withLock { s -> Task<T, any Error>? in
                s.cancelled = true
                return s.task
            }
            task?.cancel()
        }
    }

    public func close() async throws {}

    /// FNV-1a: a stable 64-bit key for a lock name.
    static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }

    private struct Executor: SQLExecutor {
        let connection: PostgresConnection
        let timeout: Duration
        let prepared: PostgresPreparedStatements?
        let logger: Logger
        func run(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await PostgresDatabase.run(statement, on: connection, timeout: timeout, prepared: prepared, logger: logger)
        }
    }

    static func bindings(_ statement: SQLStatement) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: statement.binds.count)
        for value in statement.binds {
            switch value {
            case .null: bindings.appendNull()
            case .text(let s): bindings.append(s)
            case .integer(let n): bindings.append(n)
            case .real(let d): bindings.append(d)
            case .bool(let b): bindings.append(b)
            case .date(let d): bindings.append(d)
            }
        }
        return bindings
    }

    static func rows<Rows: AsyncSequence>(_ sequence: Rows) async throws -> [SQLRow] where Rows.Element == PostgresRow {
        var out: [SQLRow] = []
        for try await row in sequence {
            var columns: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                columns.append(cell.columnName)
                values.append(try value(cell))
            }
            out.append(SQLRow(columns: columns, values: values))
        }
        return out
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .bool(try cell.decode(Bool.self))
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        default: return .text(try cell.decode(String.self))
        }
    }
}
