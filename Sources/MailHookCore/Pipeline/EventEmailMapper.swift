import Crypto
import Foundation

/// Turns a stored third-party event (canonical `email.received` or IMAP-bridge payload) into the
/// ``EmailMessage`` the pipeline classifies. The intake already validated the shape; this reads
/// it again as untrusted (a stored payload was once a request) and never traps.
///
/// Email ids are namespaced by the endpoint (`<endpoint>:<id>`), so two senders that both
/// number their events 1, 2, 3… never share an email, a classification or an action.
public enum EventEmailMapper {
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// - Parameters:
    ///   - fallbackId: the id to use when the event names no message id (derived from the dedupe key).
    ///   - receivedAt: when the event arrived, for events without a date.
    public static func map(_ payload: JSONValue, endpoint: String?, fallbackId: String, receivedAt: Date) throws(Invalid) -> EmailMessage {
        if let event = payload["event"] { return try bridge(event, root: payload, endpoint: endpoint, fallbackId: fallbackId, receivedAt: receivedAt) }
        guard let m = payload["message"], m.objectValue != nil else { throw Invalid("the event has no message") }
        func addresses(_ value: JSONValue?) -> [EmailMessage.Address] {
            (value?.arrayValue ?? []).compactMap { item in
                item["address"]?.stringValue.map { EmailMessage.Address(address: $0, name: item["name"]?.stringValue) }
            }
        }
        guard let sender = m["from"]?["address"]?.stringValue else { throw Invalid("message.from.address is missing") }
        let html = m["bodyHtml"]?.stringValue
        let text = m["bodyText"]?.stringValue ?? html.map(HTMLEntities.stripTags) ?? ""
        let id = m["id"]?.stringValue ?? m["internetMessageId"]?.stringValue ?? payload["id"]?.stringValue ?? fallbackId
        return EmailMessage(
            id: scoped(bounded(id), endpoint: endpoint), mailbox: nil, internetMessageId: m["internetMessageId"]?.stringValue,
            from: .init(address: sender, name: m["from"]?["name"]?.stringValue), to: addresses(m["to"]), cc: addresses(m["cc"]),
            subject: m["subject"]?.stringValue ?? "", bodyText: text, bodyHtml: html,
            receivedAt: m["receivedAt"]?.stringValue.flatMap(GraphDate.parse) ?? receivedAt,
            conversationId: m["conversationId"]?.stringValue, importance: m["importance"]?.stringValue,
            hasAttachments: !(m["attachments"]?.arrayValue ?? []).isEmpty, replyTo: addresses(m["replyTo"]),
            headers: headerMap(m["headers"]))
    }

    private static func bridge(_ e: JSONValue, root: JSONValue, endpoint: String?, fallbackId: String, receivedAt: Date) throws(Invalid) -> EmailMessage {
        guard let rawSender = e["sender"]?.stringValue, !rawSender.isEmpty else { throw Invalid("event.sender is missing") }
        let sender = parseAddress(rawSender)
        let content = e["email_content"]
        let headers = content?["headers"]
        func header(_ name: String) -> String? {
            guard let object = headers?.objectValue else { return nil }
            return object.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value.stringValue
        }
        let html = content?["html_body"]?.stringValue
        let text = content?["plain_body"]?.stringValue ?? html.map(HTMLEntities.stripTags) ?? ""
        var uid: String?
        if let raw = e["uid"], raw != .null {
            guard let parsed = IMAPUID.parse(raw) else { throw Invalid("event.uid is not an IMAP UID") }
            uid = parsed
        }
        // IMAP uids are unique per mailbox only: scoped by the endpoint like every other id.
        let id = scoped(bounded(uid.map { "imap:\($0)" } ?? header("Message-ID") ?? root["id"]?.stringValue ?? fallbackId), endpoint: endpoint)
        let to = header("To").map { $0.split(separator: ",").map { parseAddress(String($0)) } } ?? []
        return EmailMessage(
            id: id, internetMessageId: header("Message-ID"), from: sender, to: to, subject: e["subject"]?.stringValue ?? header("Subject") ?? "",
            bodyText: text, bodyHtml: html, receivedAt: header("Date").flatMap(parseRFC2822) ?? receivedAt,
            replyTo: header("Reply-To").map { $0.split(separator: ",").map { parseAddress(String($0)) } } ?? [], headers: headerMap(headers))
    }

    /// A `headers` object of string values (others are left out).
    static func headerMap(_ value: JSONValue?) -> [String: String] {
        EmailMessage.headerMap((value?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { name, value in value.stringValue.map { (name, $0) } })
    }

    /// `Name <a@b.com>` or `a@b.com`.
    static func parseAddress(_ text: String) -> EmailMessage.Address {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed.lastIndex(of: ">"), open < close {
            let address = String(trimmed[trimmed.index(after: open)..<close])
            let name = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            return .init(address: address, name: name.isEmpty ? nil : name)
        }
        return .init(address: trimmed)
    }

    static func parseRFC2822(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        for format in ["EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z"] {
            formatter.dateFormat = format
            // A sender writes this header: a year outside GraphDate.storable counts as no date.
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return GraphDate.storable(date) }
        }
        return nil
    }

    /// An id as a sender wrote it, when it is at most 256 bytes (as `message.id` must be); a longer
    /// one (an `internetMessageId` or a `Message-ID` header of any length) by its SHA-256, so the
    /// email's id stays usable as a key, a path segment and a paging cursor.
    static func bounded(_ id: String) -> String {
        id.utf8.count <= 256 ? id : "mid-" + digest(id, hexDigits: 32)
    }

    /// `<endpoint>:<id>`; events stored without an endpoint keep their id.
    static func scoped(_ id: String, endpoint: String?) -> String {
        endpoint.map { "\($0):\(id)" } ?? id
    }

    /// A stable message id for an event that names none: from its dedupe key.
    public static func fallbackId(dedupeKey: String) -> String {
        "evt-" + digest(dedupeKey, hexDigits: 24)
    }

    /// The first `hexDigits` hex digits of the text's SHA-256.
    static func digest(_ text: String, hexDigits: Int) -> String {
        String(Hex.encode(SHA256.hash(data: Array(text.utf8))).prefix(hexDigits))
    }
}
