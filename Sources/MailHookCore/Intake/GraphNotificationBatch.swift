import Foundation

/// A parsed `changeNotificationCollection`: one POST may carry several items, for several
/// subscriptions, mixing change and lifecycle notifications.
public struct GraphNotificationBatch: Sendable {
    public struct Item: Sendable, Equatable {
        public var subscriptionId: String
        public var clientState: String?
        public var changeType: String?
        public var resource: String?
        public var resourceId: String?
        public var tenantId: String?
        public var subscriptionExpiration: String?
        public var lifecycleEvent: String?
        /// The item exactly as received, re-serialised, for the inbox payload.
        public var json: String

        public var isLifecycle: Bool { lifecycleEvent != nil }

        /// Reads one notification item (as received, or as stored in the inbox); nil without a subscription id.
        public init?(_ element: JSONValue, text: String? = nil) {
            guard let o = element.objectValue, let sub = o["subscriptionId"]?.stringValue, !sub.isEmpty else { return nil }
            subscriptionId = sub
            clientState = o["clientState"]?.stringValue
            changeType = o["changeType"]?.stringValue
            resource = o["resource"]?.stringValue
            resourceId = o["resourceData"]?["id"]?.stringValue
            tenantId = o["tenantId"]?.stringValue
            subscriptionExpiration = o["subscriptionExpirationDateTime"]?.stringValue
            lifecycleEvent = o["lifecycleEvent"]?.stringValue
            json = text ?? element.jsonText()
        }
    }

    public var items: [Item]
    /// Items that were not objects or had no subscription id.
    public var malformedCount: Int

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notAnObject
        case valueMissing
        case valueNotArray

        public var description: String {
            switch self {
            case .notAnObject: "the body must be a JSON object"
            case .valueMissing: "the body has no \"value\" array"
            case .valueNotArray: "\"value\" must be an array"
            }
        }
    }

    public init(json: JSONValue) throws(Failure) {
        try self.init(json: json, raw: nil)
    }

    /// Parses a request body; each stored item is the exact bytes Graph sent for it.
    public init(bytes: [UInt8]) throws {
        let (json, ranges) = try JSONValue.parse(bytes, elementRangesOf: "value")
        try self.init(json: json, raw: (bytes, ranges))
    }

    private init(json: JSONValue, raw: ([UInt8], [Range<Int>])?) throws(Failure) {
        guard let object = json.objectValue else { throw .notAnObject }
        guard let value = object["value"] else { throw .valueMissing }
        guard let array = value.arrayValue else { throw .valueNotArray }
        var items: [Item] = []
        var malformed = 0
        for (position, element) in array.enumerated() {
            let text = raw.map { bytes, ranges in String(decoding: bytes[ranges[position]], as: UTF8.self) }
            guard let item = Item(element, text: text) else {
                malformed += 1
                continue
            }
            items.append(item)
        }
        self.items = items
        self.malformedCount = malformed
    }
}

extension GraphNotificationBatch.Item {
    /// The inbox row for this item. Change notifications dedupe on
    /// `subscriptionId|resourceData.id|changeType`; lifecycle notifications on the event and the
    /// subscription's expiry within a ten-minute window of receipt, so Graph's retries collapse.
    /// Every `missed` is kept: one that collapsed into an earlier, finished round would leave what
    /// Graph failed to deliver unfetched, and an extra round costs one delta call.
    public func inboxItem(receivedAt: Date) -> NewInboxItem {
        if let event = lifecycleEvent {
            let bucket = event == GraphLifecycleEvent.missed.rawValue ? UUID().uuidString : String(Int64(receivedAt.timeIntervalSince1970) / 600)
            return NewInboxItem(
                source: .graph, kind: .graphLifecycle, subscriptionId: subscriptionId,
                dedupeKey: "graph-lifecycle|\(subscriptionId)|\(event)|\(subscriptionExpiration ?? "")|\(bucket)",
                payload: json)
        }
        let target = resourceId ?? resource ?? ""
        return NewInboxItem(
            source: .graph, kind: .graphNotification, subscriptionId: subscriptionId,
            dedupeKey: "graph|\(subscriptionId)|\(target)|\(changeType ?? "")",
            messageKey: changeType == "created" ? messageKey : nil,
            payload: json)
    }

    /// `Users/{id}/Messages/{id}` or `Users('{id}')/Messages('{id}')` (a `mailFolders/{f}` step
    /// may stand between) → mailbox and message id. Anything else — an absolute URL, a leading
    /// `/`, a `..` or `.` step, other collections — names no message.
    public var mailboxAndMessage: (mailbox: String, message: String)? {
        // Over UTF-8 bytes: Foundation's string search goes through ICU and the standard
        // library's Character-wise split through grapheme breaking, each costing more than the
        // rest of an acknowledgement. A resource is a URL path, so bytes are its true units.
        guard let resource else { return nil }
        let bytes = Array(resource.utf8)
        guard bytes.count <= 2048, !Self.hasScheme(bytes), bytes.first != Self.slash,
              !bytes.contains(UInt8(ascii: "?")), !bytes.contains(UInt8(ascii: "#")) else { return nil }
        var steps: [(name: String, key: String?)] = []
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: Self.slash) ?? bytes.count
            let segment = bytes[start..<end]
            start = end + 1
            guard !segment.isEmpty, !Self.isDotStep(segment) else { return nil }
            if let open = segment.firstIndex(of: UInt8(ascii: "(")), segment.last == UInt8(ascii: ")") {
                var key = segment[(open + 1)..<(segment.endIndex - 1)]
                while key.first == UInt8(ascii: "'") { key = key.dropFirst() }
                while key.last == UInt8(ascii: "'") { key = key.dropLast() }
                guard !key.isEmpty, !Self.isDotStep(key) else { return nil }
                steps.append((String(decoding: segment[..<open], as: UTF8.self).lowercased(), String(decoding: key, as: UTF8.self)))
            } else if let last = steps.last, last.key == nil, ["users", "messages", "mailfolders"].contains(last.name) {
                steps[steps.count - 1].key = String(decoding: segment, as: UTF8.self)
            } else {
                steps.append((String(decoding: segment, as: UTF8.self).lowercased(), nil))
            }
        }
        let names = steps.map(\.name)
        guard names == ["users", "messages"] || names == ["users", "mailfolders", "messages"],
              steps.dropLast().allSatisfy({ $0.key != nil }), let mailbox = steps.first?.key,
              let message = resourceId ?? steps.last?.key, MailboxName.isValidMessageId(message) else { return nil }
        return (mailbox, message)
    }

    private static let slash = UInt8(ascii: "/")

    /// `.` or `..`.
    private static func isDotStep(_ step: ArraySlice<UInt8>) -> Bool {
        (step.count == 1 || step.count == 2) && step.allSatisfy { $0 == UInt8(ascii: ".") }
    }

    /// Whether `bytes` hold `://` anywhere.
    static func hasScheme(_ bytes: [UInt8]) -> Bool {
        var matched = 0
        for byte in bytes {
            switch (matched, byte) {
            case (0, UInt8(ascii: ":")): matched = 1
            case (1, UInt8(ascii: "/")): matched = 2
            case (2, UInt8(ascii: "/")): return true
            default: matched = byte == UInt8(ascii: ":") ? 1 : 0
            }
        }
        return false
    }

    var messageKey: String? {
        mailboxAndMessage.map { NewInboxItem.messageKey(mailboxId: $0.mailbox, messageId: $0.message) }
    }
}
