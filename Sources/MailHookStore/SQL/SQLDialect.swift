/// Where SQLite and PostgreSQL differ in SQL text. Everything else about a statement (its
/// flow, its transaction, its binds) is written once in the store.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    /// `?` (SQLite) or `$n` (PostgreSQL), numbered from 1.
    func placeholder(_ number: Int) -> String {
        self == .postgres ? "$\(number)" : "?"
    }

    /// Appended to a JSON bind: PostgreSQL's JSON columns are `jsonb`; SQLite keeps text.
    var jsonCast: String { self == .postgres ? "::jsonb" : "" }

    /// Row locks for a claim: replicas claiming at once take different rows. SQLite has one
    /// writer, so its transaction is the lock.
    var skipLocked: String { self == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }

    /// A read that a later write in the same transaction depends on.
    var forUpdate: String { self == .postgres ? " FOR UPDATE" : "" }

    /// The database's own clock as SQL, for column defaults written by statements.
    var now: String { self == .postgres ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" }

    /// The tables of the application schema, as rows with a `name` column.
    var tableNamesQuery: String {
        switch self {
        case .sqlite: "SELECT name FROM sqlite_master WHERE type = 'table'"
        case .postgres: "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        }
    }

    /// The order rows were inserted in, for tables keyed by text ids.
    var insertionOrder: String { self == .postgres ? "created_at, id" : "rowid" }

    /// `schema_migrations`, created before the first migration runs.
    var migrationsTable: String {
        let timestamp = self == .postgres ? "TIMESTAMPTZ NOT NULL DEFAULT now()" : "TEXT NOT NULL DEFAULT (\(now))"
        return "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at \(timestamp))"
    }

    /// Taken inside the migration transaction so replicas starting together apply each
    /// migration once (PostgreSQL); SQLite's writer transaction already serialises them.
    var migrationLock: String? {
        self == .postgres ? "SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))" : nil
    }

    /// Arbitrary constant for the advisory lock that serialises migrations across replicas.
    static let migrationLockKey: Int64 = 0x6d61_696c_686f_6f6b

    /// Bound values one statement may carry, well under both databases' limits.
    static let maxBindsPerStatement = 2800

    /// A timestamp column as text with every digit it holds, for a cursor that must find the
    /// same instant again (SQLite keeps the text already).
    func exactTimestampText(_ column: String) -> String {
        self == .postgres ? "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')" : column
    }

    /// Text made by ``exactTimestampText(_:)``, bound as a parameter, as a comparable timestamp.
    var timestampFromText: (prefix: String, suffix: String) {
        self == .postgres ? ("CAST(", " AS timestamptz)") : ("", "")
    }

    /// One top-level string member of a JSON text column.
    func jsonTextField(_ column: String, _ key: String) -> String {
        switch self {
        // jsonb columns: `->>` on an array or a scalar is NULL, never an error.
        case .postgres: "(\(column)::jsonb ->> '\(key)')"
        // Text columns: json_extract fails the whole statement on one row that is not JSON.
        case .sqlite: "(CASE WHEN json_valid(\(column)) THEN json_extract(\(column), '$.\(key)') END)"
        }
    }

    /// An integer member at `path` inside a JSON column (JSONB on PostgreSQL, text on SQLite);
    /// NULL where the row holds no number there (a row edited by hand must not fail the read).
    func jsonInteger(_ column: String, _ path: [String]) -> String {
        switch self {
        case .postgres:
            // Any jsonb number is a valid numeric; clamped (as on SQLite), it always fits a bigint.
            let member = "\(column)::jsonb #> '{\(path.joined(separator: ","))}'"
            return "(CASE WHEN jsonb_typeof(\(member)) = 'number' THEN trunc(LEAST(GREATEST((\(member))::text::numeric, -1e15), 1e15))::bigint END)"
        case .sqlite:
            let at = "'$.\(path.joined(separator: "."))'"
            return "(CASE WHEN json_valid(\(column)) THEN CASE WHEN json_type(\(column), \(at)) IN ('integer', 'real') THEN MIN(MAX(CAST(json_extract(\(column), \(at)) AS INTEGER), -1000000000000000), 1000000000000000) END END)"
        }
    }

    /// The UTC calendar day of a timestamp column, as `YYYY-MM-DD`.
    func utcDay(_ column: String) -> String {
        self == .postgres ? "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "substr(\(column), 1, 10)"
    }
}
