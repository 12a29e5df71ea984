/// An IMAP message UID from an IMAP-to-webhook bridge: a positive 32-bit number (RFC 9051
/// `nz-number`), sent as a JSON number or a string of digits. Anything else is refused at intake,
/// so the pipeline never converts an unchecked number.
public enum IMAPUID {
    public static let maximum: UInt64 = 4_294_967_295

    /// The UID's decimal text, or nil when `value` is not one.
    public static func parse(_ value: JSONValue) -> String? {
        switch value {
        case .number(let n):
            guard n.isFinite, n.rounded() == n, n >= 1, n <= Double(maximum), let whole = UInt64(exactly: n) else { return nil }
            return String(whole)
        case .string(let s):
            let digits = s.utf8
            guard (1...10).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }),
                  let whole = UInt64(s), whole >= 1, whole <= maximum else { return nil }
            return String(whole)
        default:
            return nil
        }
    }
}
