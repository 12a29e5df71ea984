import Foundation

/// An inbound email as the pipeline sees it, whatever its source (Graph, a third-party event or
/// an IMAP bridge).
public struct EmailMessage: Sendable, Equatable, Codable {
    public struct Address: Sendable, Equatable, Codable {
        public var address: String
        public var name: String?
        public init(address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }
    }

    public var id: String
    public var mailbox: String?
    public var internetMessageId: String?
    public var from: Address
    public var to: [Address]
    public var cc: [Address]
    public var subject: String
    public var bodyText: String
    public var bodyHtml: String?
    public var receivedAt: Date
    public var conversationId: String?
    public var importance: String?
    public var categories: [String]
    public var isRead: Bool
    public var hasAttachments: Bool
    public var parentFolderId: String?
    public var isDraft: Bool
    /// Where replies go when it differs from `from` (Graph's `replyTo`, a `Reply-To` header).
    public var replyTo: [Address]
    /// Internet message headers MailHook reads (loop and bulk signals), names lower-cased;
    /// a repeated header's values joined with ", ".
    public var headers: [String: String]

    public init(
        id: String, mailbox: String? = nil, internetMessageId: String? = nil, from: Address, to: [Address] = [], cc: [Address] = [],
        subject: String, bodyText: String, bodyHtml: String? = nil, receivedAt: Date, conversationId: String? = nil,
        importance: String? = nil, categories: [String] = [], isRead: Bool = false, hasAttachments: Bool = false, parentFolderId: String? = nil,
        isDraft: Bool = false, replyTo: [Address] = [], headers: [String: String] = [:]
    ) {
        self.id = id
        self.mailbox = mailbox
        self.internetMessageId = internetMessageId
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.bodyText = bodyText
        self.bodyHtml = bodyHtml
        self.receivedAt = receivedAt
        self.conversationId = conversationId
        self.importance = importance
        self.categories = categories
        self.isRead = isRead
        self.hasAttachments = hasAttachments
        self.parentFolderId = parentFolderId
        self.isDraft = isDraft
        self.replyTo = replyTo
        self.headers = headers
    }

    /// Header name → value, names lower-cased, repeated headers joined; at most 200 headers and
    /// 2,000 characters a value are kept (they only feed the loop checks).
    public static func headerMap(_ pairs: [(String, String)]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in pairs.prefix(200) {
            let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            guard !key.isEmpty else { continue }
            let clipped = String(value.prefix(2000))
            out[key] = out[key].map { "\($0), \(clipped)" } ?? clipped
        }
        return out
    }
}

/// Maps a Graph `message` resource (fetched with `outlook.body-content-type="text"`) to ``EmailMessage``.
public enum GraphMessageMapper {
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func map(_ json: JSONValue, mailbox: String?) throws(Invalid) -> EmailMessage {
        guard let id = json["id"]?.stringValue, !id.isEmpty else { throw Invalid(description: "the message has no id") }
        func address(_ value: JSONValue?) -> EmailMessage.Address? {
            guard let email = value?["emailAddress"], let addr = email["address"]?.stringValue else { return nil }
            return EmailMessage.Address(address: addr, name: email["name"]?.stringValue.map(HTMLEntities.decode))
        }
        func addresses(_ key: String) -> [EmailMessage.Address] { (json[key]?.arrayValue ?? []).compactMap(address) }
        let from = address(json["from"]) ?? address(json["sender"]) ?? EmailMessage.Address(address: "")
        let body = json["body"]
        let contentType = body?["contentType"]?.stringValue?.lowercased()
        let content = body?["content"]?.stringValue ?? json["bodyPreview"]?.stringValue ?? ""
        let received = json["receivedDateTime"]?.stringValue.flatMap(GraphDate.parse) ?? Date(timeIntervalSince1970: 0)
        return EmailMessage(
            id: id,
            mailbox: mailbox,
            internetMessageId: json["internetMessageId"]?.stringValue,
            from: from,
            to: addresses("toRecipients"),
            cc: addresses("ccRecipients"),
            subject: HTMLEntities.decode(json["subject"]?.stringValue ?? ""),
            bodyText: contentType == "html" ? HTMLEntities.stripTags(content) : HTMLEntities.decode(content),
            bodyHtml: contentType == "html" ? content : nil,
            receivedAt: received,
            conversationId: json["conversationId"]?.stringValue,
            importance: json["importance"]?.stringValue,
            categories: (json["categories"]?.arrayValue ?? []).compactMap(\.stringValue),
            isRead: json["isRead"] == .bool(true),
            hasAttachments: json["hasAttachments"] == .bool(true),
            parentFolderId: json["parentFolderId"]?.stringValue,
            isDraft: json["isDraft"] == .bool(true),
            replyTo: addresses("replyTo"),
            headers: EmailMessage.headerMap((json["internetMessageHeaders"]?.arrayValue ?? []).compactMap { header in
                guard let name = header["name"]?.stringValue, let value = header["value"]?.stringValue else { return nil }
                return (name, value)
            }))
    }
}

/// Graph's text conversion can leave HTML entities (`&nbsp;`, `&amp;`) in bodies and subjects.
public enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ndash": "–", "mdash": "—",
        "hellip": "…", "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“", "copy": "©", "reg": "®", "euro": "€",
    ]

    public static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = after[..<semi]
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X"), let code = UInt32(name.dropFirst(2), radix: 16) {
                    replacement = Unicode.Scalar(code).map { String(Character($0)) }
                } else if name.hasPrefix("#"), let code = UInt32(name.dropFirst()) {
                    replacement = Unicode.Scalar(code).map { String(Character($0)) }
                } else {
                    replacement = named[String(name)]
                }
                if let replacement {
                    out += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }

    /// A plain-text rendering of simple HTML, for sources that only send HTML.
    public static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for ch in html {
            if ch == "<" { inTag = true; continue }
            if ch == ">" { inTag = false; out.append(" "); continue }
            if !inTag { out.append(ch) }
        }
        return decode(out).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
