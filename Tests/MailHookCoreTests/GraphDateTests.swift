import Foundation
@testable import MailHookCore
import Testing

/// The arithmetic date path must say exactly what Foundation's ISO 8601 formatter says.
struct GraphDateTests {
    /// Deterministic pseudo-random instants from 1601 to 9999 (a fixed-seed LCG).
    static func instants(_ count: Int) -> [Double] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let span = 253_402_300_799.0 + 11_644_473_600.0
            return -11_644_473_600.0 + Double(state >> 11) / Double(1 << 53) * span
        }
    }

    static let edges: [Double] = [
        0, -1, -0.0005, 86_399.999, 951_782_400, 951_868_800, // 1970, just before, 2000-02-29, 2000-03-01
        4_107_542_400, 1_768_469_400.123, -11_644_473_600, 253_402_300_799.4, // 2100-03-01, 2026, 1601, 9999
    ]

    /// Seconds apart of two stored forms (both read by the fast path).
    static func apart(_ a: String, _ b: String) -> Double {
        guard let x = GraphDate.fastParse(Array(a.utf8)), let y = GraphDate.fastParse(Array(b.utf8)) else { return .infinity }
        return abs(x - y)
    }

    @Test("format agrees with Foundation (to its millisecond rounding) over 2,000 instants and the edges")
    func format() {
        for t in Self.edges + Self.instants(2_000) {
            let date = Date(timeIntervalSince1970: t)
            let fast = GraphDate.format(date)
            // Both round to the millisecond; at a boundary their floating-point paths may land 1 ms apart.
            #expect(Self.apart(fast, GraphDate.foundationFormat(date)) <= 0.0011, "\(t): \(fast)")
            #expect(abs((GraphDate.fastParse(Array(fast.utf8)) ?? .infinity) - t) <= 0.0005 + 1e-5 * max(1, abs(t) / 1e9), "\(t): \(fast)")
        }
        #expect(GraphDate.format(Date(timeIntervalSince1970: 1_768_469_400.123)) == "2026-01-15T09:30:00.123Z")
        #expect(GraphDate.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(GraphDate.format(Date(timeIntervalSince1970: -0.001)) == "1969-12-31T23:59:59.999Z")
    }

    @Test("parse matches Foundation: Z, lower-case z, offsets, 0–9 fraction digits, and round-trips format")
    func parse() throws {
        for t in Self.edges + Self.instants(500) {
            let text = GraphDate.format(Date(timeIntervalSince1970: t))
            let fast = try #require(GraphDate.fastParse(Array(text.utf8)), "\(text)")
            let slow = try #require(GraphDate.foundationParse(text)?.timeIntervalSince1970)
            #expect(abs(fast - slow) <= 1e-5 * max(1, abs(fast) / 1e9), "\(text)")
            #expect(GraphDate.format(Date(timeIntervalSince1970: fast)) == text)
        }
        for text in ["2026-01-15T10:30:00+01:00", "2026-01-15T04:00:00-05:30", "2024-02-29T23:59:59.1234567Z", "2026-01-15T09:30:00z",
                     "2026-01-15T09:30:00.123456789Z", "1601-01-01T00:00:00Z"] {
            let fast = try #require(GraphDate.fastParse(Array(text.utf8)), "\(text)")
            let slow = try #require(GraphDate.foundationParse(text)?.timeIntervalSince1970, "\(text)")
            #expect(abs(fast - slow) < 1e-6, "\(text)")
        }
    }

    @Test("forms outside the fast path go to Foundation or are refused, never trap")
    func others() {
        for text in ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-15T24:00:00Z", "2026-01-15 09:30:00Z", "2026-01-15T09:30:00",
                     "2026-01-15T09:30:00.Z", "2026-01-15T09:30:00+0100", "1582-10-15T00:00:00Z", "２０２６-01-15T09:30:00Z", "", "x"] {
            #expect(GraphDate.fastParse(Array(text.utf8)) == nil, "\(text)")
            _ = GraphDate.parse(text)
        }
        for t in [Double.infinity, -Double.infinity, Double.nan, 1e300, -1e300] {
            _ = GraphDate.format(Date(timeIntervalSince1970: t))
        }
    }
}
