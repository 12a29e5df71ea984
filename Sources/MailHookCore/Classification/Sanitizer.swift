import Foundation

/// Takes personal data out of email text before it leaves for an LLM (DESIGN §4): SSNs, payment
/// card numbers, IPv4 addresses and, by default, email addresses become `[SSN]`, `[CARD]`, `[IP]`
/// and `[EMAIL]`. It reports how many of each it replaced, never the values, so the counts can be
/// logged and stored.
///
/// What counts, and why:
/// - SSN: any `###-##-####` (no range checks: a false positive costs little, a leak costs a lot);
///   nine digits (`123456789`, `123 45 6789`) only right after a label such as "SSN" or "social
///   security", because bare nine-digit numbers are mostly order and account numbers.
/// - Card: 13–19 digits, optionally grouped by single spaces or dashes, and only when the Luhn
///   check passes, so order and invoice numbers stay readable.
/// - IPv4: four dot-separated decimal octets, each 0–255, not part of a longer dotted number. An
///   IPv4-shaped version string ("version 1.2.3.4") is replaced too: the text cannot tell them
///   apart and replacing is the safe side. `999.1.1.1` and `1.2.3.4.5` are not addresses.
/// - Email: `local@domain.tld`; optional because replies and routing sometimes need to see them.
///
/// Sanitise before truncating (``truncate(_:to:)``): cutting first could split a card number so
/// that the remaining digits no longer pass Luhn and escape.
public struct Sanitizer: Sendable {
    /// A kind of personal data.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case ssn, card, ip, email

        public var placeholder: String {
            switch self {
            case .ssn: "[SSN]"
            case .card: "[CARD]"
            case .ip: "[IP]"
            case .email: "[EMAIL]"
            }
        }
    }

    /// The sanitised text and how many values of each kind were replaced.
    public struct Result: Sendable, Equatable {
        public var text: String
        public var counts: [Kind: Int]
        public var total: Int { counts.values.reduce(0, +) }
        public func count(_ kind: Kind) -> Int { counts[kind] ?? 0 }
    }

    /// Replaces email addresses too. Default true: an address is personal data and the classifier
    /// does not need it.
    public var redactsEmailAddresses: Bool

    public init(redactsEmailAddresses: Bool = true) {
        self.redactsEmailAddresses = redactsEmailAddresses
    }

    public func sanitize(_ text: String) -> Result {
        let bytes = Array(text.utf8)
        var found: [Match] = []
        Self.findSSNs(bytes, into: &found)
        Self.findCards(bytes, into: &found)
        Self.findIPv4(bytes, into: &found)
        if redactsEmailAddresses { Self.findEmails(bytes, into: &found) }
        guard !found.isEmpty else { return Result(text: text, counts: [:]) }
        // Earlier and longer matches win; overlapping later ones are dropped.
        found.sort { $0.range.lowerBound != $1.range.lowerBound ? $0.range.lowerBound < $1.range.lowerBound : $0.range.count > $1.range.count }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var counts: [Kind: Int] = [:]
        var cursor = 0
        for match in found where match.range.lowerBound >= cursor {
            out.append(contentsOf: bytes[cursor..<match.range.lowerBound])
            out.append(contentsOf: match.kind.placeholder.utf8)
            counts[match.kind, default: 0] += 1
            cursor = match.range.upperBound
        }
        out.append(contentsOf: bytes[cursor...])
        // Only ASCII spans bounded by ASCII bytes are replaced, so the result is still valid UTF-8.
        return Result(text: String(decoding: out, as: UTF8.self), counts: counts)
    }

    // MARK: - Truncation

    /// How much of an email body each prompt gets (the EmailBot seed's limits), in characters.
    public enum Budget: Int, Sendable, CaseIterable {
        case classify = 2000
        case confidence = 1000
        case reply = 1500
    }

    /// The first `budget` characters (grapheme clusters, so nothing is cut mid-character).
    public static func truncate(_ text: String, to budget: Budget) -> String {
        truncate(text, toCharacters: budget.rawValue)
    }

    /// Whole characters, so an emoji sequence is never cut in two, but at most
    /// ``scalarsPerCharacter`` scalars a character on average: one character can be any number of
    /// combining marks, and a budget in characters alone would not bound such a body. A first
    /// character beyond that is cut by scalars.
    public static func truncate(_ text: String, toCharacters limit: Int) -> String {
        guard limit > 0 else { return "" }
        let scalarLimit = limit * scalarsPerCharacter
        var end = text.startIndex
        var characters = 0
        var scalars = 0
        while end < text.endIndex, characters < limit {
            let next = text.index(after: end)
            let size = text.unicodeScalars[end..<next].count
            guard scalars + size <= scalarLimit else { break }
            scalars += size
            characters += 1
            end = next
        }
        return characters == 0 && !text.isEmpty ? text.clipped(to: scalarLimit) : String(text[..<end])
    }

    static let scalarsPerCharacter = 8

    // MARK: - Scanners (bytes, ASCII only)

    struct Match {
        var kind: Kind
        var range: Range<Int>
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }

    /// `###-##-####` anywhere not glued to other digits or dashes; 9 labelled digits.
    static func findSSNs(_ b: [UInt8], into found: inout [Match]) {
        let n = b.count
        var i = 0
        while i < n {
            guard isDigit(b[i]), i == 0 || !(isAlnum(b[i - 1]) || b[i - 1] == 0x2D) else { i += 1; continue }
            // Dashed form.
            if i + 11 <= n, isDigit(b[i + 1]), isDigit(b[i + 2]), b[i + 3] == 0x2D, isDigit(b[i + 4]), isDigit(b[i + 5]),
               b[i + 6] == 0x2D, isDigit(b[i + 7]), isDigit(b[i + 8]), isDigit(b[i + 9]), isDigit(b[i + 10]),
               i + 11 == n || !(isAlnum(b[i + 11]) || b[i + 11] == 0x2D) {
                found.append(Match(kind: .ssn, range: i..<(i + 11)))
                i += 11
                continue
            }
            // Labelled 9 digits, optionally as 3 2 4 separated by single spaces.
            var j = i
            var digits = 0
            while j < n, digits < 10 {
                if isDigit(b[j]) { digits += 1; j += 1 } else if b[j] == 0x20, j + 1 < n, isDigit(b[j + 1]), digits == 3 || digits == 5 { j += 1 } else { break }
            }
            if digits == 9, j == n || !(isAlnum(b[j]) || b[j] == 0x2D), hasSSNLabel(b, before: i) {
                found.append(Match(kind: .ssn, range: i..<j))
                i = j
                continue
            }
            while i < n, isDigit(b[i]) { i += 1 }
        }
    }

    /// "ssn", "ss#" or "social security" within the 24 bytes before `index`.
    static func hasSSNLabel(_ b: [UInt8], before index: Int) -> Bool {
        let start = max(0, index - 24)
        let window = String(decoding: b[start..<index], as: UTF8.self).lowercased()
        if window.contains("social security") || window.contains("ss#") { return true }
        // "ssn" as a word, not inside e.g. "classnotes".
        var search = window[...]
        while let r = search.range(of: "ssn") {
            let before = r.lowerBound == window.startIndex ? nil : window[window.index(before: r.lowerBound)]
            if before.map({ !$0.isLetter }) ?? true { return true }
            search = search[r.upperBound...]
        }
        return false
    }

    /// Digit runs of 13–19 digits with optional single space/dash separators that pass Luhn. When
    /// the whole run fails, the longest prefix of whole groups that passes is taken (a card number
    /// followed by its security code).
    static func findCards(_ b: [UInt8], into found: inout [Match]) {
        let n = b.count
        var i = 0
        while i < n {
            guard isDigit(b[i]), i == 0 || !isAlnum(b[i - 1]) else { i += 1; continue }
            // Collect groups: (end byte index, digit count so far).
            var groupEnds: [(end: Int, digits: Int)] = []
            var digits: [UInt8] = []
            var j = i
            while j < n, digits.count <= 19 {
                if isDigit(b[j]) {
                    digits.append(b[j] - 0x30)
                    j += 1
                } else if (b[j] == 0x20 || b[j] == 0x2D), j + 1 < n, isDigit(b[j + 1]) {
                    groupEnds.append((j, digits.count))
                    j += 1
                } else {
                    break
                }
            }
            let glued = j < n && isLetter(b[j])
            groupEnds.append((j, digits.count))
            var matched = false
            if !glued {
                for group in groupEnds.reversed() where (13...19).contains(group.digits) {
                    if luhn(digits[0..<group.digits]) {
                        found.append(Match(kind: .card, range: i..<group.end))
                        i = group.end
                        matched = true
                        break
                    }
                }
            }
            if !matched {
                // Skip the whole run: its tail must not be retried as a card of its own.
                i = max(j, i + 1)
                while i < n, isDigit(b[i]) { i += 1 }
            }
        }
    }

    static func luhn(_ digits: ArraySlice<UInt8>) -> Bool {
        var sum = 0
        var double = false
        for d in digits.reversed() {
            var v = Int(d)
            if double {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            double.toggle()
        }
        return sum % 10 == 0
    }

    static func findIPv4(_ b: [UInt8], into found: inout [Match]) {
        let n = b.count
        var i = 0
        while i < n {
            guard isDigit(b[i]), i == 0 || !(isAlnum(b[i - 1]) || b[i - 1] == 0x2E) else { i += 1; continue }
            var j = i
            var octets = 0
            var valid = true
            while octets < 4 {
                var value = 0
                var len = 0
                while j < n, isDigit(b[j]), len < 4 {
                    value = value * 10 + Int(b[j] - 0x30)
                    len += 1
                    j += 1
                }
                if len == 0 || len > 3 || value > 255 { valid = false; break }
                octets += 1
                if octets < 4 {
                    guard j < n, b[j] == 0x2E else { valid = false; break }
                    j += 1
                }
            }
            // Not followed by more of a dotted number (1.2.3.4.5) or glued to letters/digits.
            if valid, j < n, isAlnum(b[j]) || (b[j] == 0x2E && j + 1 < n && isDigit(b[j + 1])) { valid = false }
            if valid {
                found.append(Match(kind: .ip, range: i..<j))
                i = j
            } else {
                while i < n, isDigit(b[i]) || b[i] == 0x2E { i += 1 }
            }
        }
    }

    static func findEmails(_ b: [UInt8], into found: inout [Match]) {
        func isLocal(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2E || c == 0x5F || c == 0x25 || c == 0x2B || c == 0x2D }
        func isDomain(_ c: UInt8) -> Bool { isAlnum(c) || c == 0x2E || c == 0x2D }
        let n = b.count
        var searchFrom = 0
        var i = 0
        while i < n {
            defer { i += 1 }
            guard b[i] == 0x40, i >= searchFrom else { continue }
            var start = i
            while start > searchFrom, isLocal(b[start - 1]) { start -= 1 }
            while start < i, b[start] == 0x2E { start += 1 }
            guard start < i else { continue }
            var end = i + 1
            while end < n, isDomain(b[end]) { end += 1 }
            while end > i + 1, b[end - 1] == 0x2E || b[end - 1] == 0x2D { end -= 1 }
            // The domain needs a dot and a top-level label of at least two letters.
            guard let lastDot = b[(i + 1)..<end].lastIndex(of: 0x2E), lastDot > i + 1, end - lastDot - 1 >= 2,
                  b[(lastDot + 1)..<end].allSatisfy(isLetter)
            else { continue }
            found.append(Match(kind: .email, range: start..<end))
            searchFrom = end
            i = end - 1
        }
    }
}
