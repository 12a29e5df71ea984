import Foundation
import MailHookCore

/// Small builders for the JSON shapes Graph uses.
enum GraphJSON {
    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }
    static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
    static func recipient(name: String?, address: String) -> JSONValue {
        .object(["emailAddress": .object(["name": .string(name ?? address), "address": .string(address)])])
    }
    static func recipients(_ addresses: [String]) -> JSONValue { .array(addresses.map { recipient(name: nil, address: $0) }) }

    /// The addresses in a `[{"emailAddress":{"address":…}}]` array.
    static func addresses(_ value: JSONValue?) -> [String] {
        (value?.arrayValue ?? []).compactMap { $0["emailAddress"]?["address"]?.stringValue }
    }
}

enum GraphFormat {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Graph's own format: UTC, seven fraction digits, e.g. `2026-05-08T10:00:00.1234567Z`.
    static func dateTime(_ date: Date, zone: String = "Z") -> String {
        let interval = date.timeIntervalSince1970
        var seconds = interval.rounded(.down)
        var ticks = Int(((interval - seconds) * 10_000_000).rounded())
        if ticks >= 10_000_000 {
            seconds += 1
            ticks -= 10_000_000
        }
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        return "\(pad(c.year ?? 0, 4))-\(pad(c.month ?? 0, 2))-\(pad(c.day ?? 0, 2))T\(pad(c.hour ?? 0, 2)):\(pad(c.minute ?? 0, 2)):"
            + "\(pad(c.second ?? 0, 2)).\(pad(ticks, 7))\(zone)"
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`. Without a zone the time is UTC, as Graph assumes.
    static func parseDateTime(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ from: Int, _ length: Int) -> Int? {
            guard from >= 0, from + length <= b.count else { return nil }
            var value = 0
            for i in from..<(from + length) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue }
        guard b.count >= 19, at(4, "-"), at(7, "-"), at(10, "T") || at(10, "t"), at(13, ":"), at(16, ":"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if at(i, ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offset = 0
        if at(i, "Z") || at(i, "z") {
            i += 1
        } else if at(i, "+") || at(i, "-") {
            guard let hours = number(i + 1, 2), at(i + 3, ":"), let minutes = number(i + 4, 2) else { return nil }
            offset = (at(i, "-") ? -1 : 1) * (hours * 3600 + minutes * 60)
            i += 6
        }
        guard i == b.count,
            let base = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
        else { return nil }
        return base.addingTimeInterval(fraction - Double(offset))
    }
}

/// `application/x-www-form-urlencoded`, as Entra reads it and as Graph writes the validation token.
enum FormCoding {
    static func encode(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ value: some StringProtocol) -> String {
        let spaced = value.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Name/value pairs in order; names are decoded too (`%24skiptoken` is `$skiptoken`).
    static func parse(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func value(_ name: String, in text: String) -> String? {
        parse(text).first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

enum GraphIDs {
    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func uuidBytes() -> [UInt8] { withUnsafeBytes(of: UUID().uuid) { Array($0) } }

    static func uuid() -> String { UUID().uuidString.lowercased() }
    static func message() -> String { "AAMk" + base64url(uuidBytes()) + "=" }
    static func folder() -> String { "AQMk" + base64url(uuidBytes()) + "AAA=" }
    static func conversation() -> String { "AAQk" + base64url(uuidBytes()) + "=" }
    static func changeKey() -> String { "CQAAABYAAA" + base64url(uuidBytes()).prefix(18) }
    /// Sync-state tokens are opaque to clients; long random strings keep them unguessable across tests.
    static func syncToken() -> String { base64url(uuidBytes() + uuidBytes() + uuidBytes()) }
}

/// The parts of a `Prefer` header Graph honours (several preferences may share one header).
struct PreferHeader: Sendable {
    var textBody = false
    var immutableIds = false
    var maxPageSize: Int?

    init(_ header: String?) {
        for part in (header ?? "").split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
            }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "outlook.body-content-type": textBody = pair[1] == "text"
            case "idtype": immutableIds = pair[1] == "immutableid"
            case "odata.maxpagesize": maxPageSize = Int(pair[1]).flatMap { $0 > 0 ? $0 : nil }
            default: break
            }
        }
    }
}

/// The `$filter` subset the fake understands: `property eq 'value'` clauses joined by `and`, `''` standing for a quote.
enum ODataFilter {
    /// The clauses in order, or nil when the text is anything else.
    static func equalities(_ text: String) -> [(property: String, value: String)]? {
        var clauses: [(property: String, value: String)] = []
        var rest = Substring(text)
        func skipSpaces() { rest = rest.drop(while: \.isWhitespace) }
        func word() -> String {
            let word = rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "/" })
            rest = rest.dropFirst(word.count)
            return String(word)
        }
        while true {
            skipSpaces()
            let property = word()
            skipSpaces()
            guard !property.isEmpty, word().lowercased() == "eq" else { return nil }
            skipSpaces()
            guard rest.first == "'" else { return nil }
            rest = rest.dropFirst()
            var value = ""
            while true {
                guard let c = rest.popFirst() else { return nil }
                if c != "'" {
                    value.append(c)
                } else if rest.first == "'" {
                    value.append("'")
                    rest = rest.dropFirst()
                } else {
                    break
                }
            }
            clauses.append((property, value))
            skipSpaces()
            if rest.isEmpty { return clauses }
            guard word().lowercased() == "and" else { return nil }
        }
    }
}
