import Foundation
import MailHookCore

/// One result row, by column name. Getters convert leniently between the databases'
/// representations (SQLite's 0/1 booleans and ISO-8601 text dates, PostgreSQL's native types)
/// and answer nil for a missing column, a NULL or a value they cannot read.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    public func string(_ column: String) -> String? {
        switch self[column] {
        case .text(let s): s
        case .integer(let n): String(n)
        case .real(let d): String(d)
        case .bool(let b): String(b)
        case .date(let d): GraphDate.format(d)
        case .null: nil
        }
    }

    public func int64(_ column: String) -> Int64? {
        switch self[column] {
        case .integer(let n): n
        case .real(let d): Int64(exactly: d)
        case .bool(let b): b ? 1 : 0
        case .text, .date, .null: nil
        }
    }

    public func int(_ column: String) -> Int? {
        int64(column).flatMap { Int(exactly: $0) }
    }

    public func double(_ column: String) -> Double? {
        switch self[column] {
        case .real(let d): d
        case .integer(let n): Double(n)
        case .text(let s): Double(s)
        case .bool, .date, .null: nil
        }
    }

    public func bool(_ column: String) -> Bool? {
        switch self[column] {
        case .bool(let b): b
        case .integer(let n): n != 0
        case .text, .real, .date, .null: nil
        }
    }

    public func date(_ column: String) -> Date? {
        switch self[column] {
        case .date(let d): d
        case .text(let s): GraphDate.parse(s)
        case .integer, .real, .bool, .null: nil
        }
    }

    public func value<V: Vocabulary>(_ column: String, as type: V.Type = V.self) -> V? {
        string(column).flatMap(V.init(rawValue:))
    }

    /// The row as a JSON object (operations and tests): dates as ISO-8601 text.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        for (name, value) in zip(columns, values) where object[name] == nil {
            object[name] = switch value {
            case .null: .null
            case .text(let s): .string(s)
            case .integer(let n): .number(Double(n))
            case .real(let d): .number(d)
            case .bool(let b): .bool(b)
            case .date(let d): .string(GraphDate.format(d))
            }
        }
        return .object(object)
    }
}
