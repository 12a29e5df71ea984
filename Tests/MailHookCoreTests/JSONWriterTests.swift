import Foundation
import MailHookCore
import Testing

/// The direct writer of parsed documents must give exactly the bytes the `Codable` path gives
/// (stored request columns and answers do not change with it).
struct JSONWriterTests {
    /// The `Codable` path: an array of one value goes through `JSONEncoder`.
    static func viaEncoder(_ value: JSONValue) -> String {
        String(JSONWriter.text([value]).dropFirst().dropLast())
    }

    @Test(arguments: [
        0.0, -0.0, 1, -1, 42, 77.5, 0.1, 0.30000000000000004, 1e-7, 5e-324, 999_999_999_999_999, 1e15, -1e15, 1e16, 1e21,
        1.7976931348623157e308, -2.5e-5, .infinity, -.infinity, .nan,
    ])
    func numbersAsTheEncoderWritesThem(_ n: Double) {
        #expect(JSONWriter.text(.number(n)) == Self.viaEncoder(.number(n)))
    }

    @Test func stringsEscapedAsTheEncoderEscapesThem() {
        var every = (0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }.map(String.init).joined()
        every += "é\u{2028}\u{FEFF}😀 a/b \"q\" \\"
        #expect(JSONWriter.text(.string(every)) == Self.viaEncoder(.string(every)))
        #expect(JSONWriter.text(.string("")) == #""""#)
    }

    @Test func keysSortedAsTheEncoderSortsThem() {
        let keys = ["a10", "a9", "B", "a", "_x", "é", "Z", "ab", "aB", "", "😀", "0", "~", "Ω"]
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, .number(Double($0))) }))
        #expect(JSONWriter.text(object) == Self.viaEncoder(object))
    }

    @Test func randomDocumentsMatchTheEncoder() {
        var random = SplitMix(seed: 12)
        for _ in 0..<500 {
            let value = Self.document(&random, depth: 0)
            #expect(JSONWriter.text(value) == Self.viaEncoder(value))
            #expect(JSONWriter.data(value) == Data(Self.viaEncoder(value).utf8))
        }
    }

    static func document(_ random: inout SplitMix, depth: Int) -> JSONValue {
        switch random.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2:
            let choices = [Double(Int64(bitPattern: random.next()) % 1_000_000), Double(random.next() % 10_000) / 7, Double(bitPattern: random.next())]
            return .number(choices[Int(random.next() % 3)])
        case 3: return .string(text(&random))
        case 4: return .array((0..<Int(random.next() % 5)).map { _ in document(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int(random.next() % 6) { members[text(&random)] = document(&random, depth: depth + 1) }
            return .object(members)
        }
    }

    static func text(_ random: inout SplitMix) -> String {
        let alphabet = Array("aZ09_-/\\\"\n\t\u{1}\u{1f} é😀\u{2028}.")
        return String((0..<Int(random.next() % 8)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
