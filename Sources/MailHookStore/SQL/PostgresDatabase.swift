import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOSSL
import PostgresNIO

/// The production database: a pooled `PostgresClient` shared by every replica. The pool's
/// background work runs as a service (``run()``) while the database is used.
public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    public let client: PostgresClient
    let logger: Logger

    public init(configuration url: DatabaseURL.Postgres, maxConnections: Int, logger: Logger) {
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
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// The pool's background work; must run (as a service) while the database is used.
    public func run() async {
        await client.run()
    }

    public func read(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await Self.rows(try await client.query(Self.query(statement), logger: logger))
    }

    public func write(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        try await read(statement)
    }

    public func transaction<T: Sendable>(urgent: Bool, _ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: logger) { connection in
            try await body(Executor(connection: connection, logger: logger))
        }
    }

    /// A session advisory lock held on one pooled connection for the length of `body`.
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        let key = Self.lockKey(name)
        return try await client.withConnection { conn in
            var acquired = false
            for try await got in try await conn.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) { acquired = got }
            guard acquired else { return nil }
            do {
                let value = try await body()
                try await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                return value
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                throw error
            }
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
        let logger: Logger
        func run(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await PostgresDatabase.rows(try await connection.query(PostgresDatabase.query(statement), logger: logger))
        }
    }

    static func query(_ statement: SQLStatement) -> PostgresQuery {
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
        return PostgresQuery(unsafeSQL: statement.sql(.postgres), binds: bindings)
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [SQLRow] {
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
