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
        try check(Array(bytes), maxDepth: maxDepth)
    }

    /// The concrete entry point the receive path uses: one pass over contiguous bytes.
    public static func check(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(Failure) {
        guard bytes.contains(where: { !isWhitespace($0) }) else { throw .empty }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .invalidUTF8 }
        let depthOK = bytes.withUnsafeBufferPointer { buffer -> Bool in
            var depth = 0
            var inString = false
            var escaped = false
            for byte in buffer {
                if inString {
                    if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                    continue
                }
                switch byte {
                case 0x22: inString = true
                case 0x5B, 0x7B:  // [ {
                    depth += 1
                    if depth > maxDepth { return false }
                case 0x5D, 0x7D: depth -= 1  // ] }
                default: break
                }
            }
            return true
        }
        guard depthOK else { throw .tooDeep(limit: maxDepth) }
    }

    private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}
