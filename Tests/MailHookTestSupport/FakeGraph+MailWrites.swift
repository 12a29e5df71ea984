import Foundation
import MailHookCore
import Synchronization

/// Writes to mail: PATCH of a message, its actions (reply, forward, move, drafts) and sendMail, each recorded.
extension FakeGraph.State {
    static let writableMessageProperties: Set<String> = [
        "categories", "flag", "isRead", "subject", "body", "importance", "toRecipients", "ccRecipients", "inferenceClassification",
    ]

    mutating func patchMessage(_ request: GraphRequest, mailbox reference: String, id: String) -> Reply {
        let mailbox = mailboxKey(reference)
        guard mailboxes[mailbox]?.messages[id] != nil else { return Self.itemNotFound() }
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return reply
        case .success(let object): body = object
        }
        for key in body.keys.sorted() where !key.hasPrefix("@odata") && !Self.writableMessageProperties.contains(key) {
            return .error(400, "RequestBodyRead", "The property '\(key)' does not exist on type 'microsoft.graph.message'. Make sure to only use property names that are defined by the type or mark the type as open type.")
        }
        func invalid(_ key: String) -> Reply { .error(400, "ErrorInvalidProperty", "The value of property '\(key)' is not valid.") }
        var categories: [String]?
        if let value = body["categories"] {
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else { return invalid("categories") }
            categories = items.compactMap(\.stringValue)
        }
        var flagStatus: String?
        if let value = body["flag"] {
            guard let status = value["flagStatus"]?.stringValue, ["notFlagged", "flagged", "complete"].contains(status) else { return invalid("flag") }
            flagStatus = status
        }
        var isRead: Bool?
        if let value = body["isRead"] {
            guard case .bool(let flag) = value else { return invalid("isRead") }
            isRead = flag
        }
        var importance: String?
        if let value = body["importance"] {
            guard let text = value.stringValue, ["low", "normal", "high"].contains(text) else { return invalid("importance") }
            importance = text
        }
        let subject = body["subject"]?.stringValue
        let content = body["body"]?["content"]?.stringValue
        let to = body["toRecipients"].map { GraphJSON.addresses($0) }
        let cc = body["ccRecipients"].map { GraphJSON.addresses($0) }
        guard let updated = update(mailbox: mailbox, id: id, { m in
            if let categories { m.categories = categories }
            if let flagStatus { m.flagStatus = flagStatus }
            if let isRead { m.isRead = isRead }
            if let importance { m.importance = importance }
            if let subject { m.subject = subject }
            if let content { m.body = content }
            if let to { m.toAddresses = to }
            if let cc { m.ccAddresses = cc }
        }) else { return Self.itemNotFound() }
        recordAction("update", mailbox: mailbox, target: id, request: request, result: id)
        return bodyReply(200, updated, mailbox: mailbox, prefer: request.prefer)
    }

    mutating func messageAction(_ request: GraphRequest, mailbox reference: String, id: String, action: String) -> Reply {
        let mailbox = mailboxKey(reference)
        guard ["reply", "replyall", "createreply", "createreplyall", "send", "move"].contains(action) else {
            return .error(400, "BadRequest", "Resource not found for the segment '\(action)'.")
        }
        guard let original = mailboxes[mailbox]?.messages[id] else { return Self.itemNotFound() }
        let body: [String: JSONValue]
        switch request.jsonObject(required: action == "move") {
        case .failure(let reply): return reply
        case .success(let object): body = object
        }
        let me = mailboxes[mailbox]?.userPrincipalName ?? reference
        switch action {
        case "reply", "replyall", "createreply", "createreplyall":
            let comment = body["comment"]?.stringValue
            let messageBody = body["message"]?["body"]?["content"]?.stringValue
            if comment != nil, body["message"]?["body"] != nil {
                return .error(400, "ErrorInvalidRequest", "Cannot specify both 'comment' and 'message.body' for a reply.")
            }
            let all = action.hasSuffix("all")
            var recipients = GraphJSON.addresses(body["message"]?["toRecipients"])
            if recipients.isEmpty {
                recipients = [original.message.fromAddress]
                if all { recipients += original.message.toAddresses.filter { $0.lowercased() != me.lowercased() } }
            }
            let draft = action.hasPrefix("create")
            let reply = FakeGraph.Message(
                subject: "RE: " + original.message.subject, fromAddress: me, fromName: me, toAddresses: recipients,
                ccAddresses: all ? original.message.ccAddresses : [], body: comment ?? messageBody ?? "", receivedDateTime: now,
                conversationId: original.message.conversationId, isRead: true, isDraft: draft)
            let newId = insert(mailbox: mailbox, folder: draft ? "drafts" : "sentitems", reply)
            let kind = ["reply": "reply", "replyall": "replyAll", "createreply": "createReply", "createreplyall": "createReplyAll"][action] ?? action
            recordAction(kind, mailbox: mailbox, target: id, request: request, result: newId)
            guard draft, let stored = mailboxes[mailbox]?.messages[newId] else { return .empty(202) }
            return bodyReply(201, stored, mailbox: mailbox, prefer: request.prefer)
        case "send":
            guard original.message.isDraft else {
                return .error(400, "ErrorInvalidOperation", "Only drafts can be sent.")
            }
            remove(mailbox: mailbox, id: id)
            var sent = original.message
            sent.isDraft = false
            sent.receivedDateTime = now
            let newId = insert(mailbox: mailbox, folder: "sentitems", sent)
            recordAction("send", mailbox: mailbox, target: id, request: request, result: newId)
            return .empty(202)
        default:  // move
            guard let destination = body["destinationId"]?.stringValue, !destination.isEmpty else {
                return .error(400, "ErrorInvalidRequest", "The destinationId property is required.")
            }
            let folder = resolveFolder(mailbox: mailbox, destination)
            remove(mailbox: mailbox, id: id)
            // Without immutable ids a moved item gets a new id, which is why clients should ask for them.
            let newId = insert(mailbox: mailbox, folder: folder, original.message, id: request.prefer.immutableIds ? id : GraphIDs.message())
            recordAction("move", mailbox: mailbox, target: id, request: request, result: newId)
            guard let stored = mailboxes[mailbox]?.messages[newId] else { return Self.itemNotFound() }
            return bodyReply(201, stored, mailbox: mailbox, prefer: request.prefer)
        }
    }

    mutating func sendMail(_ request: GraphRequest, mailbox reference: String) -> Reply {
        let mailbox = mailboxKey(reference)
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return reply
        case .success(let object): body = object
        }
        guard let message = body["message"], message.objectValue != nil else {
            return .error(400, "ErrorInvalidRequest", "The message property is required.")
        }
        let recipients = GraphJSON.addresses(message["toRecipients"])
        guard !recipients.isEmpty else {
            return .error(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be sent because it contains no recipients.")
        }
        let me = mailboxes[mailbox]?.userPrincipalName ?? reference
        var sentId: String?
        if body["saveToSentItems"] != .bool(false) {
            sentId = insert(mailbox: mailbox, folder: "sentitems", FakeGraph.Message(
                subject: message["subject"]?.stringValue ?? "", fromAddress: me, fromName: me, toAddresses: recipients,
                ccAddresses: GraphJSON.addresses(message["ccRecipients"]), body: message["body"]?["content"]?.stringValue ?? "",
                receivedDateTime: now, isRead: true))
        }
        recordAction("sendMail", mailbox: mailbox, target: nil, request: request, result: sentId)
        return .empty(202)
    }
}
