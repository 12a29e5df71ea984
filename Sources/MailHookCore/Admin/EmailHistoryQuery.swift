import Foundation

/// `GET /emails/history` parameters, validated: newest first, at most `limit` emails a page,
/// the next page named by an opaque cursor.
public struct EmailHistoryQuery: Sendable, Equatable {
    public var sender: String?
    public var days: Int
    public var limit: Int
    public var category: Category?
    public var decision: RoutingDecision?
    public var status: ProcessingStatus?
    public var cursor: EmailHistoryCursor?

    public static let maxLimit = 500
    public static let maxDays = 3650

    public init(
        sender: String? = nil, days: Int = 30, limit: Int = 50, category: Category? = nil, decision: RoutingDecision? = nil,
        status: ProcessingStatus? = nil, cursor: EmailHistoryCursor? = nil
    ) {
        self.sender = sender
        self.days = days
        self.limit = limit
        self.category = category
        self.decision = decision
        self.status = status
        self.cursor = cursor
    }

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    static let parameters: Set<String> = ["sender", "days", "limit", "category", "decision", "status", "cursor"]

    /// Reads decoded query parameters (name → value); unknown names and bad values are refused.
    public init(parameters: [(String, String)]) throws(Invalid) {
        self.init()
        for (name, value) in parameters {
            guard Self.parameters.contains(name) else { throw Invalid(description: "unknown parameter \(name.clipped(to: 64).debugDescription)") }
            guard value.utf8.count <= 512, !value.utf8.contains(0) else { throw Invalid(description: "\(name) is too long") }
            switch name {
            case "sender": sender = value.lowercased()
            case "days": days = try Self.number(name, value, 1...Self.maxDays)
            case "limit": limit = try Self.number(name, value, 1...Self.maxLimit)
            case "category": category = try Self.choice(name, value)
            case "decision": decision = try Self.choice(name, value)
            case "status": status = try Self.choice(name, value)
            default:
                guard let cursor = EmailHistoryCursor(token: value) else { throw Invalid(description: "cursor is not one this server issued") }
                self.cursor = cursor
            }
        }
    }

    static func number(_ name: String, _ value: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard value.utf8.count <= 6, let n = Int(value), range.contains(n) else {
            throw Invalid(description: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    static func choice<V: RawRepresentable & CaseIterable>(_ name: String, _ value: String) throws(Invalid) -> V where V.RawValue == String {
        guard let choice = V(rawValue: value) else {
            throw Invalid(description: "\(name) must be one of \(V.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}

/// Where a history page ended: the last email's receipt time exactly as the database keeps it
/// (`YYYY-MM-DDTHH:MM:SS[.ffffff]Z`) and its id; sent as base64url.
public struct EmailHistoryCursor: Sendable, Equatable {
    public var received: String
    public var id: String

    public init?(received: String, id: String) {
        guard Self.isTimestamp(received), !id.isEmpty, id.utf8.count <= 512, !id.utf8.contains(0) else { return nil }
        self.received = received
        self.id = id
    }

    public init?(token: String) {
        guard let data = Base64URL.decode(token), let text = String(data: data, encoding: .utf8),
            let bar = text.firstIndex(of: "|")
        else { return nil }
        self.init(received: String(text[..<bar]), id: String(text[text.index(after: bar)...]))
    }

    public var token: String {
        Base64URL.encode(Data("\(received)|\(id)".utf8))
    }

    /// `2026-01-15T09:30:00Z` with 0 to 9 fraction digits: the only text a cursor may carry into SQL.
    static func isTimestamp(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { (0x30...0x39).contains(b[$0]) } }
        guard b.count >= 20, b.count <= 30, b.last == UInt8(ascii: "Z") else { return false }
        guard digits(0..<4), b[4] == 0x2D, digits(5..<7), b[7] == 0x2D, digits(8..<10), b[10] == UInt8(ascii: "T"),
            digits(11..<13), b[13] == 0x3A, digits(14..<16), b[16] == 0x3A, digits(17..<19)
        else { return false }
        if b.count == 20 { return true }
        return b[19] == 0x2E && b.count > 21 && digits(20..<(b.count - 1))
    }
}
