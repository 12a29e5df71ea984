import Foundation

/// Mailbox and message identifiers that end up in Graph request paths. Only plain names pass:
/// an address or object id, and an id made of base64 characters, so no payload can steer a
/// request to another path (`..`, `/`, a URL).
public enum MailboxName {
    /// `user@domain` or a GUID (a mailbox's object id).
    public static func isValid(_ text: String) -> Bool {
        guard (3...320).contains(text.utf8.count) else { return false }
        if UUID(uuidString: text) != nil { return true }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "@._+-'".unicodeScalars.contains(scalar))
        }
    }

    /// A Graph message id: base64 or base64url characters, at most 512.
    public static func isValidMessageId(_ text: String) -> Bool {
        guard (1...512).contains(text.utf8.count), text != ".", text != ".." else { return false }
        return text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "/"): true
            default: false
            }
        }
    }
}
