import Foundation
import MailHookCore

/// A value bound to a statement or read from a row, in the few types MailHook stores. Each
/// database adapter maps them to its own: dates are ISO-8601 text in SQLite and `timestamptz`
/// in PostgreSQL, booleans 0/1 in SQLite.
public enum SQLValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
    case bool(Bool)
    case date(Date)
}

/// A Swift value that binds as one ``SQLValue``.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLBindable { public var sqlValue: SQLValue { .date(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { map(\.sqlValue) ?? .null }
}
