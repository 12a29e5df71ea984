import Foundation

/// `sqlite://relative/path`, `sqlite:///absolute/path`, `sqlite::memory:` or
/// `postgres://user:password@host:5432/database?sslmode=disable|prefer|require`.
public enum DatabaseURL: Sendable, Equatable, Encodable {
    case sqlite(path: String)
    case postgres(Postgres)

    public struct Postgres: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: Secret?
        public var database: String
        public var tlsMode: PostgresTLSMode
    }

    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    public static func parse(_ text: String) -> Result<DatabaseURL, Invalid> {
        if text == "sqlite::memory:" { return .success(.sqlite(path: ":memory:")) }
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { return .failure(Invalid(reason: "the SQLite path is empty")) }
            return .success(.sqlite(path: path))
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            return .failure(Invalid(reason: "expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"))
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            return .failure(Invalid(reason: "not a valid postgres:// URL"))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { return .failure(Invalid(reason: "the postgres URL names no database")) }
        guard let user = components.user, !user.isEmpty else { return .failure(Invalid(reason: "the postgres URL names no user")) }
        var tls = PostgresTLSMode.disable
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard let known = PostgresTLSMode(rawValue: mode) else {
                return .failure(Invalid(reason: "sslmode must be disable, prefer or require"))
            }
            tls = known
        }
        return .success(.postgres(Postgres(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { Secret($0.removingPercentEncoding ?? $0) },
            database: database,
            tlsMode: tls
        )))
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return path == ":memory:" ? "sqlite::memory:" : "sqlite://\(path)"
        case .postgres(let p):
            let auth = p.password == nil ? p.username : "\(p.username):***"
            return "postgres://\(auth)@\(p.host):\(p.port)/\(p.database)?sslmode=\(p.tlsMode.rawValue)"
        }
    }

    public var kind: DatabaseKind {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(redacted)
    }
}
