import Crypto
import Foundation

/// A third-party email event in one of the accepted shapes (DESIGN §3): the canonical
/// `email.received` event, the by-reference event to fetch from Graph, or an IMAP-to-webhook
/// bridge payload. Parsing checks the fields MailHook relies on and names the first bad one.
public struct EmailEvent: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case canonical
        case reference(mailbox: String, messageId: String)
        case imapBridge
    }

    public var shape: Shape
    /// The event's own `id`, when it has one.
    public var id: String?
    /// Sender address and subject, when the payload carries them (not for by-reference events).
    public var sender: String?
    public var subject: String?

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    public init(json: JSONValue) throws(Invalid) {
        guard let o = json.objectValue else { throw Invalid("the body must be a JSON object") }
        if let event = o["event"] {
            self = try Self.bridge(event, root: o)
            return
        }
        if let type = o["type"] {
            guard case .string(let t) = type else { throw Invalid("type: expected a string") }
            guard t == "email.received" else { throw Invalid("type: unsupported event type \"\(t)\" (expected \"email.received\")") }
        } else {
            throw Invalid("type: required (\"email.received\")")
        }
        id = try Self.identifier(o, "id", path: "id")
        if let graph = o["graph"] {
            guard let g = graph.objectValue else { throw Invalid("graph: expected an object") }
            guard let mailbox = try Self.optionalString(g, "mailbox", path: "graph.mailbox"), !mailbox.isEmpty else {
                throw Invalid("graph.mailbox: required")
            }
            guard MailboxName.isValid(mailbox) else {
                throw Invalid("graph.mailbox: expected a mailbox address or object id")
            }
            guard let messageId = try Self.optionalString(g, "messageId", path: "graph.messageId"), !messageId.isEmpty else {
                throw Invalid("graph.messageId: required")
            }
            guard MailboxName.isValidMessageId(messageId) else {
                throw Invalid("graph.messageId: expected a Graph message id (letters, digits and - _ = + /, at most 512)")
            }
            shape = .reference(mailbox: mailbox, messageId: messageId)
            sender = nil
            subject = nil
            return
        }
        guard let messageValue = o["message"] else { throw Invalid("message: required (or \"graph\" for a by-reference event)") }
        guard let m = messageValue.objectValue else { throw Invalid("message: expected an object") }
        guard let fromValue = m["from"], let from = fromValue.objectValue else { throw Invalid("message.from: required object") }
        guard let address = try Self.optionalString(from, "address", path: "message.from.address"), address.contains("@") else {
            throw Invalid("message.from.address: required email address")
        }
        _ = try Self.optionalString(from, "name", path: "message.from.name")
        _ = try Self.identifier(m, "id", path: "message.id")
        for key in ["internetMessageId", "bodyText", "bodyHtml", "conversationId", "importance"] {
            _ = try Self.optionalString(m, key, path: "message.\(key)")
        }
        if let received = try Self.optionalString(m, "receivedAt", path: "message.receivedAt"), GraphDate.parse(received) == nil {
            throw Invalid("message.receivedAt: expected an ISO-8601 date-time")
        }
        if let to = m["to"], to.arrayValue == nil { throw Invalid("message.to: expected an array") }
        if let attachments = m["attachments"], attachments.arrayValue == nil { throw Invalid("message.attachments: expected an array") }
        if let replyTo = m["replyTo"], replyTo != .null, replyTo.arrayValue == nil { throw Invalid("message.replyTo: expected an array") }
        if let headers = m["headers"], headers != .null {
            guard let object = headers.objectValue, object.values.allSatisfy({ $0.stringValue != nil }) else {
                throw Invalid("message.headers: expected an object of strings")
            }
        }
        shape = .canonical
        sender = address
        subject = try Self.optionalString(m, "subject", path: "message.subject") ?? ""
    }

    public init(shape: Shape, id: String?, sender: String?, subject: String?) {
        self.shape = shape
        self.id = id
        self.sender = sender
        self.subject = subject
    }

    private static func bridge(_ event: JSONValue, root: [String: JSONValue]) throws(Invalid) -> EmailEvent {
        guard let e = event.objectValue else { throw Invalid("event: expected an object") }
        guard let type = try Self.optionalString(e, "type", path: "event.type") else { throw Invalid("event.type: required") }
        guard type == "new_message" else { throw Invalid("event.type: unsupported bridge event \"\(type)\" (expected \"new_message\")") }
        guard let content = e["email_content"]?.objectValue else { throw Invalid("event.email_content: required object") }
        for key in ["plain_body", "html_body"] { _ = try Self.optionalString(content, key, path: "event.email_content.\(key)") }
        guard let sender = try Self.optionalString(e, "sender", path: "event.sender"), !sender.isEmpty else {
            throw Invalid("event.sender: required")
        }
        if let uid = e["uid"], uid != .null, IMAPUID.parse(uid) == nil {
            throw Invalid("event.uid: expected a whole number from 1 to \(IMAPUID.maximum)")
        }
        return EmailEvent(
            shape: .imapBridge,
            id: try Self.identifier(root, "id", path: "id"),
            sender: sender,
            subject: try Self.optionalString(e, "subject", path: "event.subject") ?? "")
    }

    /// Ids become dedupe keys and email ids: short, printable text.
    public static let maxIdLength = 256

    private static func identifier(_ o: [String: JSONValue], _ key: String, path: String) throws(Invalid) -> String? {
        guard let id = try optionalString(o, key, path: path) else { return nil }
        guard id.utf8.count <= maxIdLength else { throw Invalid("\(path): at most \(maxIdLength) bytes") }
        guard id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { throw Invalid("\(path): control characters are not allowed") }
        return id
    }

    private static func optionalString(_ o: [String: JSONValue], _ key: String, path: String) throws(Invalid) -> String? {
        guard let value = o[key], value != .null else { return nil }
        guard case .string(let s) = value else { throw Invalid("\(path): expected a string, got \(value.typeName)") }
        return s
    }

    public var kind: NewInboxItem.Kind {
        switch shape {
        case .canonical: .canonicalEvent
        case .reference: .referenceEvent
        case .imapBridge: .imapBridgeEvent
        }
    }

    /// Scoped by endpoint: the signed `webhook-id` (Standard Webhooks only: elsewhere a header is
    /// not covered by the signature, so a replay could pick a new one), else the event's `id`, else
    /// the SHA-256 of the raw body, so a byte-identical replay is always a duplicate.
    public static func dedupeKey(endpoint: String, signedWebhookId: String?, eventId: String?, body: some Sequence<UInt8>) -> String {
        if let signedWebhookId, !signedWebhookId.isEmpty { return "event|\(endpoint)|wh:\(signedWebhookId)" }
        if let eventId, !eventId.isEmpty { return "event|\(endpoint)|id:\(eventId)" }
        return "event|\(endpoint)|sha256:\(Hex.encode(SHA256.hash(data: Array(body))))"
    }
}
