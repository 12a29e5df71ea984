import Crypto

/// A short, stable reference MailHook embeds in what it sends (a chat message, a reply header),
/// so that after an interrupted attempt it can find its own message again instead of resending,
/// and so that its replies are recognisable as MailHook's.
public enum ActionMarker {
    /// `mh-` and 12 hex digits of the SHA-256 of the action's idempotency key.
    public static func reference(for key: String) -> String {
        "mh-" + Hex.encode(SHA256.hash(data: Array(key.utf8))).prefix(12)
    }

    /// The header MailHook's replies carry, naming the reference.
    public static let replyHeader = "X-MailHook-Reply"
}
