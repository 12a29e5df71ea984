import Logging
import PostgresNIO
import Synchronization

/// Named prepared statements for the statements MailHook runs on every email and every
/// acknowledgement (those built with ``SQLStatement/prepare`` set): PostgreSQL parses and plans
/// them once per connection instead of on every call, which was about a third of its CPU per
/// email. Each distinct text, with the types of its values, gets one name for the process
/// (`mh_1`, `mh_2`, …; at most ``limit``, later texts run unnamed as before); every
/// connection prepares a name the first time it runs it.
final class PostgresPreparedStatements: Sendable {
    /// How many distinct statements get a name. Each costs the server a cached plan per
    /// connection (tens of kilobytes for the larger statements); the pipeline benchmark uses six,
    /// and mail with other optional fields set or missing adds variants.
    static let limit = 64

    private let names = Mutex<[String: String]>([:])

    /// The statement's name, or nil when it runs unnamed (not marked, or past the limit).
    func name(for statement: SQLStatement, text: String) -> String? {
        guard statement.prepare, !statement.binds.isEmpty else { return nil }
        // Values of another type are another statement: a parameter's type is fixed when it
        // is prepared, and a NULL leaves it to the server.
        var key = text
        key.append("\u{1}")
        for value in statement.binds { key.append(value.typeTag) }
        return names.withLock { names in
            if let name = names[key] { return name }
            guard names.count < Self.limit else { return nil }
            let name = "mh_\(names.count + 1)"
            names[key] = name
            return name
        }
    }

    /// Whether an error from a named statement may have come from preparing it. PostgresNIO
    /// keeps a failed preparation for the connection's lifetime and fails every later use of
    /// that name on it with the same error, so such a connection is closed and replaced. Errors
    /// only execution raises (bad data, constraints, a lost race, a cancel) leave it open.
    static func mayBePreparationError(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server else { return false }
        let state = error.serverInfo?[.sqlState] ?? ""
        return !(state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("40") || state == "57014")
    }
}

/// PostgresNIO takes a prepared statement's name and text from static members; MailHook builds
/// its SQL at run time, so those members read a task-local value set around each call
/// (``PostgresDatabase/run(_:on:timeout:prepared:logger:)``). PostgresNIO reads them synchronously in
/// `execute`, within that scope.
struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var current = Text(name: "", sql: "")

    static var name: String { current.name }
    static var sql: String { current.sql }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

extension SQLValue {
    /// One character per type, for telling a statement's typed variants apart.
    var typeTag: Character {
        switch self {
        case .null: "n"
        case .text: "t"
        case .integer: "i"
        case .real: "r"
        case .bool: "b"
        case .date: "d"
        }
    }
}
