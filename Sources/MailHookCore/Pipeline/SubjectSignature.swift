import Crypto

/// The normalised form of a subject line, so recurring mail groups together in `email_patterns`:
/// lower-cased, reply/forward prefixes and ticket-style ids removed, dates, numbers, email
/// addresses and long hex ids replaced by placeholders, whitespace collapsed.
///
/// "RE: Password reset for user 4711 (ticket #A-9931) on 2026-01-15" → "password reset for user <num> (ticket <id>) on <date>"
public enum SubjectSignature {
    public static func signature(of subject: String) -> String {
        var words = subject.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
        // Reply and forward markers in several languages, possibly repeated ("re: fw: aw:").
        let prefixes: Set<String> = ["re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:", "tr:", "rv:", "antw:"]
        while let first = words.first, prefixes.contains(first) { words.removeFirst() }
        let normalised = words.map(normalise).joined(separator: " ")
        return normalised.isEmpty ? "<empty>" : normalised
    }

    /// `pat-` and 16 hex digits of the signature's SHA-256: a stable key for the pattern row.
    public static func patternId(of signature: String) -> String {
        "pat-" + Hex.encode(SHA256.hash(data: Array(signature.utf8))).prefix(16)
    }

    static func normalise(_ word: String) -> String {
        // Keep surrounding punctuation ("(ticket", "#123)") so the signature stays readable.
        let leading = word.prefix { !$0.isLetter && !$0.isNumber && $0 != "<" }
        let trailing = String(word.reversed().prefix { !$0.isLetter && !$0.isNumber }.reversed())
        guard leading.count + trailing.count < word.count else { return word }
        let core = String(word.dropFirst(leading.count).dropLast(trailing.count))
        let leadingKept = leading.filter { $0 != "#" }
        return leadingKept + placeholder(for: core) + trailing
    }

    static func placeholder(for core: String) -> String {
        if core.contains("@"), core.contains(".") { return "<email>" }
        if isDate(core) { return "<date>" }
        let digits = core.filter(\.isNumber).count
        if digits == core.count { return "<num>" }
        let letters = core.filter(\.isLetter).count
        let hex = core.allSatisfy { $0.isHexDigit || $0 == "-" }
        if hex, digits > 0, core.count >= 8 { return "<id>" }
        // Ticket-style ids mix letters and digits ("inc0012345", "a-9931", "v2.3.1").
        if digits > 0, letters > 0 || core.contains("-") || core.contains(".") { return "<id>" }
        return core
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return false }
        return parts.contains { $0.count == 4 } || parts.allSatisfy { $0.count <= 2 }
    }
}
