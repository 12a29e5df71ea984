/// One unit of accepted work, as the intake stores it in the `inbox` table.
public struct NewInboxItem: Sendable, Equatable {
    public typealias Kind = InboxKind

    public var source: InboxSource
    public var kind: Kind
    public var endpoint: String?
    public var subscriptionId: String?
    public var dedupeKey: String
    /// The message's identity (`message|<mailbox object id>|<immutable message id>`), when known,
    /// so a notification and a delta round finding the same message make one row.
    public var messageKey: String?
    public var payload: String

    public init(
        source: InboxSource, kind: Kind, endpoint: String? = nil, subscriptionId: String? = nil, dedupeKey: String, messageKey: String? = nil,
        payload: String
    ) {
        self.source = source
        self.kind = kind
        self.endpoint = endpoint
        self.subscriptionId = subscriptionId
        self.dedupeKey = dedupeKey
        self.messageKey = messageKey
        self.payload = payload
    }

    public static func messageKey(mailboxId: String, messageId: String) -> String {
        "message|\(mailboxId.lowercased())|\(messageId)"
    }
}

/// What the store did with one item.
public enum InsertOutcome: Sendable, Equatable {
    case inserted(id: Int64)
    case duplicate
}
