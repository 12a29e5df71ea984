import Foundation

/// The groups of some ``AnalyticsPart``s over a window, each group once with its counts summed
/// across the spans and days it was read from. Keys are compared as text (a number reads the
/// same from a cached day as from a live span); counts stay `Double` until read, and read as a
/// whole number from 0 to `Int32.max`, so a stored value no computation could have written
/// neither traps nor overflows a total.
struct AnalyticsWindow: Sendable {
    /// One group, its columns read by the names ``AnalyticsPart/keys`` and ``AnalyticsPart/sums`` give.
    struct Group: Sendable {
        var part: AnalyticsPart
        var keys: [String?]
        var sums: [Double]

        func key(_ column: String) -> String? { part.keys.firstIndex(of: column).flatMap { keys.indices.contains($0) ? keys[$0] : nil } }
        func sum(_ column: String) -> Double { part.sums.firstIndex(of: column).map { sums.indices.contains($0) ? sums[$0] : 0 } ?? 0 }
        func count(_ column: String = "n") -> Int { Self.whole(sum(column)) }

        static func whole(_ value: Double) -> Int {
            guard value.isFinite, value > 0 else { return 0 }
            return Int(min(value.rounded(), Double(Int32.max)))
        }
    }

    private var groups: [AnalyticsPart: [[String?]: [Double]]] = [:]

    mutating func add(_ part: AnalyticsPart, _ rows: [SQLRow]) {
        var table = groups[part] ?? [:]
        for row in rows {
            let key = part.keys.map { row.string($0) }
            let values = part.sums.map { row.double($0) ?? 0 }
            if let existing = table[key] {
                table[key] = zip(existing, values).map { $0 + $1 }
            } else {
                table[key] = values
            }
        }
        groups[part] = table
    }

    func groups(_ part: AnalyticsPart) -> [Group] {
        (groups[part] ?? [:]).map { Group(part: part, keys: $0.key, sums: $0.value) }
    }
}
