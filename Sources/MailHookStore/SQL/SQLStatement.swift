import MailHookCore

/// One SQL statement with its bound values, written once for both databases. In the literal,
/// `\(value)` binds a value (never spliced into the text), `\(json: text)` binds JSON text for a
/// JSON column, `\(list: values)` binds a comma-separated list, and `\(raw: fragment)` inserts
/// trusted SQL text (a dialect's fragment or a table name from a closed list).
public struct SQLStatement: Sendable, ExpressibleByStringInterpolation {
    enum Part: Sendable {
        case sql(String)
        /// The index into ``binds``; `json` asks the dialect for its JSON cast.
        case bind(Int, json: Bool)
    }

    private(set) var parts: [Part] = []
    public private(set) var binds: [SQLValue] = []
    /// Set on statements whose text is the same on every call and that run on every email or
    /// acknowledgement: PostgreSQL keeps them prepared per connection (``PostgresPreparedStatements``).
    /// Not for statements whose best plan depends on the values (a claim over a backlog).
    public var prepare = false

    public init(stringLiteral value: String) {
        parts = [.sql(value)]
    }

    public init(stringInterpolation: Interpolation) {
        parts = stringInterpolation.parts
        binds = stringInterpolation.binds
    }

    /// This statement, kept prepared on PostgreSQL (see ``prepare``).
    public func prepared() -> SQLStatement {
        var statement = self
        statement.prepare = true
        return statement
    }

    /// Appends another statement's text and binds (for statements assembled in parts).
    public mutating func append(_ other: SQLStatement) {
        let offset = binds.count
        for part in other.parts {
            switch part {
            case .sql(let text): parts.append(.sql(text))
            case .bind(let index, let json): parts.append(.bind(index + offset, json: json))
            }
        }
        binds += other.binds
    }

    /// The statement's text with the dialect's placeholders.
    public func sql(_ dialect: SQLDialect) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .sql(let text): out += text
            case .bind(let index, let json): out += dialect.placeholder(index + 1) + (json ? dialect.jsonCast : "")
            }
        }
        return out
    }

    public struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []
        var binds: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.sql(literal))
        }

        public mutating func appendInterpolation(_ value: some SQLBindable) {
            bind(value.sqlValue, json: false)
        }

        /// NULL for nil. Spelled out (the generic one above takes optionals too) so the compiler
        /// knows the optional is intended and does not warn about its debug description.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            bind(value.sqlValue, json: false)
        }

        public mutating func appendInterpolation<V: Vocabulary>(_ value: V) {
            bind(.text(value.rawValue), json: false)
        }

        public mutating func appendInterpolation<V: Vocabulary>(_ value: V?) {
            bind(value.map { .text($0.rawValue) } ?? .null, json: false)
        }

        /// JSON text for a JSON column (`jsonb` in PostgreSQL, text in SQLite).
        public mutating func appendInterpolation(json value: String?) {
            bind(value.map(SQLValue.text) ?? .null, json: true)
        }

        /// `?, ?, ?` (or `$1, $2, $3`) for an `IN (…)` list; the list must not be empty.
        public mutating func appendInterpolation(list values: [some SQLBindable]) {
            for (i, value) in values.enumerated() {
                if i > 0 { parts.append(.sql(", ")) }
                bind(value.sqlValue, json: false)
            }
        }

        /// Trusted SQL text: a dialect fragment or a name from a closed list, never outside input.
        public mutating func appendInterpolation(raw fragment: String) {
            parts.append(.sql(fragment))
        }

        private mutating func bind(_ value: SQLValue, json: Bool) {
            parts.append(.bind(binds.count, json: json))
            switch value {
            case .text(let text): binds.append(.text(json ? StorableText.json(text) : StorableText.text(text)))
            // PostgreSQL's driver traps on a date past year 294276; the parsers keep such dates
            // out, and this keeps any that slip through storable.
            case .date(let date): binds.append(.date(GraphDate.clamped(date)))
            default: binds.append(value)
            }
        }
    }
}
