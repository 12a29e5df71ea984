import Foundation
import Logging
import MailHookCore
import PostgresNIO

/// The databases every store and intake test runs against. PostgreSQL is there when
/// `MAILHOOK_TEST_POSTGRES_URL` names a server (`Scripts/test` starts a throwaway one).
public enum TestDatabase: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["MAILHOOK_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }


    /// A fresh, empty database: a new SQLite file, or a new PostgreSQL database on the test server.
    public func makeDatabase() async throws -> MailHookConfiguration.Database {
        switch self {
        case .sqlite:
            let path = TemporaryDirectory.make().appendingPathComponent("mailhook.sqlite").path
            return MailHookConfiguration.Database(url: .sqlite(path: path), maxConnections: 4)
        case .postgres:
            guard let admin = Self.postgresURL, case .success(.postgres(let url)) = DatabaseURL.parse(admin) else {
                throw TestSupportError("MAILHOOK_TEST_POSTGRES_URL is not set to a postgres:// URL")
            }
            let name = "mh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let connection = try await PostgresConnection.connect(
                configuration: .init(host: url.host, port: url.port, username: url.username, password: url.password?.value,
                                     database: url.database, tls: .disable),
                id: 1, logger: Logger(label: "test-admin"))
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test-admin"))
            try await connection.close()
            var created = url
            created.database = String(name)
            return MailHookConfiguration.Database(url: .postgres(created), maxConnections: 8)
        }
    }
}

extension MailHookConfiguration.Database {
    /// The `database.url` a config file for the real binary names this database with.
    public var configURL: String {
        switch url {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let pg): "postgres://\(pg.username)@\(pg.host):\(pg.port)/\(pg.database)"
        }
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum TemporaryDirectory {
    /// A new directory under the system temporary folder.
    public static func make() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mailhook-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
