/// Cheap checks that run before any JSON parser sees a request body, so hostile input
/// (invalid UTF-8, nesting deep enough to exhaust a recursive parser's stack) is refused with
/// a clear reason instead of reaching the decoder.
public enum JSONGuard {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case empty
        case invalidUTF8
        case tooDeep(limit: Int)

        public var description: String {
            switch self {
            case .empty: "the body is empty"
            case .invalidUTF8: "the body is not valid UTF-8"
            case .tooDeep(let limit): "the JSON nests deeper than \(limit) levels"
            }
        }
    }

    /// The nesting that any payload MailHook accepts stays far below.
    public static let defaultMaxDepth = 64

    /// Verifies UTF-8 and the nesting depth of arrays and objects (brackets inside strings ignored).
    public static func check(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(Failure) {
        guard bytes.contains(where: { !isWhitespace($0) }) else { throw .empty }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .invalidUTF8 }
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth { throw .tooDeep(limit: maxDepth) }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
    }

    private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}
