import Foundation

/// The groups of some ``AnalyticsPart``s over a window, each group once with its counts summed
/// across the spans and days it was read from. Keys are compared as text (a number reads the
/// same from a cached day as from a live span); counts stay `Double` until read, and read as a
/// whole number from 0 to `Int32.max`, so a stored value no computation could have written
/// neither traps nor overflows a total.
struct AnalyticsWindow: Sendable {
    struct Group: Sendable {
        var keys: [String?]
        var sums: [Double]

        func key(_ index: Int) -> String? { keys.indices.contains(index) ? keys[index] : nil }
        func sum(_ index: Int) -> Double { sums.indices.contains(index) ? sums[index] : 0 }
        func count(_ index: Int = 0) -> Int { Self.whole(sum(index)) }

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
        (groups[part] ?? [:]).map { Group(keys: $0.key, sums: $0.value) }
    }
}
