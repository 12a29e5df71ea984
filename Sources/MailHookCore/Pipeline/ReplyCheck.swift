import Foundation

/// Checks a reply before it is sent without a person: it may contain no link, email address or
/// phone number other than those of the configured signature, and its length stays within
/// bounds. A reply that fails is drafted for a person instead.
///
/// Stricter than "nothing that was not in the original message": the message is the sender's
/// text, so a link or number repeated from it is exactly what a sender steering the model would
/// plant. A reply that needs one is for a person to send.
public struct ReplyCheck: Sendable {
    public static let minimumCharacters = 20
    public static let maximumCharacters = 2000

    public let signature: String

    public init(signature: String) {
        self.signature = signature
    }

    /// Why the reply may not go out by itself, or nil.
    public func violation(reply: String) -> String? {
        let length = reply.trimmingCharacters(in: .whitespacesAndNewlines).count
        if length < Self.minimumCharacters { return "the reply is shorter than \(Self.minimumCharacters) characters" }
        if length > Self.maximumCharacters { return "the reply is longer than \(Self.maximumCharacters) characters" }
        let known = Self.tokens(in: signature)
        for token in Self.tokens(in: reply) where !known.contains(token) {
            return "the reply contains \(token.kind) (\(token.text.clipped(to: 80))) that is not in the signature"
        }
        return nil
    }

    struct Token: Hashable {
        var kind: String
        /// Normalised: lower-cased; phone numbers as digits only.
        var text: String
    }

    // Computed: a Regex is not Sendable, so it cannot be a shared constant.
    static var linkPattern: Regex<Substring> { #/(?i)(?:https?://|www\.)[^\s<>"')\]]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|info|biz|ly|me|app|dev|ru|cn|xyz|top|link|click)(?:/[^\s<>"')\]]*)?/# }
    static var emailPattern: Regex<Substring> { #/(?i)[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/# }
    static var phonePattern: Regex<Substring> { #/\+?\d[\d\s().-]{6,}\d/# }

    static func tokens(in text: String) -> Set<Token> {
        var out = Set<Token>()
        for match in text.matches(of: emailPattern) { out.insert(Token(kind: "an address", text: String(match.output).lowercased())) }
        let withoutEmails = text.replacing(emailPattern, with: " ")
        for match in withoutEmails.matches(of: linkPattern) {
            out.insert(Token(kind: "a link", text: String(match.output).lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?"))))
        }
        for match in withoutEmails.matches(of: phonePattern) {
            let text = String(match.output)
            let digits = text.filter(\.isNumber)
            // Dates and short numbers are not phone numbers.
            if digits.count >= 7, text.wholeMatch(of: #/\d{4}-\d{1,2}-\d{1,2}/#) == nil {
                out.insert(Token(kind: "a phone number", text: digits))
            }
        }
        return out
    }
}
