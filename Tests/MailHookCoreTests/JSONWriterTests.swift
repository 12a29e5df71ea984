import Foundation
@testable import MailHookCore
import Testing

/// The writers must give exactly the bytes `JSONEncoder` gives with the settings MailHook has
/// always used: stored columns, API answers, request bodies and model files do not change with them.
struct JSONWriterTests {
    static func foundation(_ value: some Encodable) -> String {
        (try? JSONWriter.encoder(pretty: false).encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// A parsed document through its `Codable` conformance and `JSONEncoder`.
    static func viaEncoder(_ value: JSONValue) -> String { foundation(value) }

    /// The same through the tree encoder (the generic writer).
    static func viaTree(_ value: JSONValue) -> String {
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
            #expect(Self.viaTree(value) == Self.viaEncoder(value))
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

    // MARK: Codable values

    struct Everything: Codable {
        enum Kind: String, Codable { case one, two }
        enum Shape: Codable { case circle(radius: Double), square(Int), none }
        struct Inner: Codable { var name: String; var values: [Double?]; var when: Date? }

        var int = -42, int8: Int8 = -8, int16: Int16 = 16, int32: Int32 = -32, int64 = Int64.max
        var uint: UInt = 7, uint8: UInt8 = 255, uint16: UInt16 = 16, uint32: UInt32 = 32, uint64 = UInt64.max
        var float: Float = 0.1, floatWhole: Float = 3, double = 77.0, fraction = 0.30000000000000004, huge = 1e300
        var infinite = Double.infinity, notANumber = Double.nan, negativeZero = -0.0
        var flag = true, text = "a/b \"q\" \\ é\n\u{1}😀", missing: String? = nil, present: String? = "here"
        var date = Date(timeIntervalSince1970: 1_780_000_000.5), url = URL(string: "https://graph.example/v1.0/me?x=1&y=/z")
        var data = Data([0, 1, 2, 250]), decimal = Decimal(string: "12.345") ?? 0
        var kind = Kind.two, shapes: [Shape] = [.circle(radius: 2.5), .square(3), .none]
        var inner = Inner(name: "n", values: [1, nil, 2.5], when: nil)
        var byNumber: [Int: String] = [10: "ten", 9: "nine", -1: "minus"]
        var byName: [String: [Int]] = ["b": [2], "a": [], "B": [1, 2]]
        var nested: [[String: Bool]] = [[:], ["x": false]]
        var empty: [String] = []
        var value: JSONValue = .object(["k": .array([.null, .number(1.5), .string("s")])])
    }

    /// A subclass that encodes its parent through `superEncoder()`, as hand-written conformances may.
    class Base: Encodable {
        var base = 1
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(base, forKey: .base)
        }
        enum CodingKeys: String, CodingKey { case base }
    }

    final class Derived: Base {
        var own = "own"
        enum OwnKeys: String, CodingKey { case own, parent, list }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: OwnKeys.self)
            try container.encode(own, forKey: .own)
            try super.encode(to: container.superEncoder())
            try super.encode(to: container.superEncoder(forKey: .parent))
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try super.encode(to: list.superEncoder())
        }
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test func codableValuesMatchTheEncoder() throws {
        #expect(JSONWriter.text(Everything()) == Self.foundation(Everything()))
        #expect(JSONWriter.data(Everything()) == Data(Self.foundation(Everything()).utf8))
        #expect(JSONWriter.text(Derived()) == Self.foundation(Derived()))
        #expect(JSONWriter.text(["a": Nothing()]) == Self.foundation(["a": Nothing()]))
        #expect(JSONWriter.text(Nothing()) == "null")
        #expect(JSONWriter.text(Date(timeIntervalSince1970: 0)) == Self.foundation(Date(timeIntervalSince1970: 0)))
        #expect(JSONWriter.text(Optional<Int>.none) == Self.foundation(Optional<Int>.none))
        #expect(JSONWriter.text([Everything.Kind.one]) == Self.foundation([Everything.Kind.one]))
        #expect(JSONWriter.text("top") == Self.foundation("top"))
    }

    /// The largest thing MailHook writes: the built-in classifier model (thousands of weights).
    @Test func theBuiltinModelIsWrittenAsBefore() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Schemas/classifier-model.json")
        let model = try ClassifierModel.load(try Data(contentsOf: url))
        #expect(model.encoded() == Data(Self.foundation(model).utf8))
    }
}
