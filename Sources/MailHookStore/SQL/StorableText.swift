import Foundation

/// Text as both databases can keep it. PostgreSQL's text and jsonb refuse NUL (a statement
/// binding one fails, so the email behind it would fail every attempt), and SQLite reads text
/// back only up to the first NUL. Outside input can carry one (a Graph message's subject, an LLM's
/// answer), so every bound text has its NULs replaced by U+FFFD, and JSON text its `\u0000`
/// escapes by `\ufffd`: what was there stays visible, and nothing is cut off.
enum StorableText {
    static func text(_ s: String) -> String {
        guard containsNUL(s) else { return s }
        return s.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}")
    }

    /// Every acknowledgement binds its payload: a byte search (memchr) over contiguous UTF-8,
    /// not a walk through the string's view.
    static func containsNUL(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }

    /// JSON text: raw NULs (invalid JSON, but stored as given) and `\u0000` escapes outside an
    /// escaped backslash.
    static func json(_ s: String) -> String {
        let cleaned = text(s)
        guard cleaned.contains("\\u0000") else { return cleaned }
        let bytes = Array(cleaned.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "\\"), i + 1 < bytes.count else {
                out.append(byte)
                i += 1
                continue
            }
            let next = bytes[i + 1]
            if next == UInt8(ascii: "u"), i + 5 < bytes.count,
                bytes[(i + 2)...(i + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                out += Array("\\ufffd".utf8)
                i += 6
            } else {
                // Any other escape (an escaped backslash included) is copied whole.
                out += [byte, next]
                i += 2
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
