import Foundation
import MailHookCore
import Synchronization

extension FakeGraph {
    /// `/v1.0/users/{idOrUpn}/…`
    func usersRoute(_ request: GraphRequest, mailbox reference: String, _ rest: [String]) async -> Reply {
        let lower = rest.map { $0.lowercased() }
        let method = request.method
        switch lower.count {
        case 0:
            return method == "GET" ? state.withLock { $0.readUser(reference) } : Self.methodNotAllowed(request)
        case 1 where lower[0] == "sendmail":
            return method == "POST" ? state.withLock { $0.sendMail(request, mailbox: reference) } : Self.methodNotAllowed(request)
        default:
            break
        }
        // messages[/{id}[/{action}]] and mailFolders/{folder}/messages[/{id|delta}[/{action}]]
        var messagePart = lower
        var messageRest = rest
        var folder: String?
        if lower[0] == "mailfolders", lower.count >= 3, lower[2] == "messages" {
            if lower.count == 4, lower[3] == "delta" {
                guard method == "GET" else { return Self.methodNotAllowed(request) }
                return await delta(request, mailbox: reference, folder: rest[1])
            }
            folder = rest[1]
            messagePart = Array(lower.dropFirst(2))
            messageRest = Array(rest.dropFirst(2))
        }
        if messagePart == ["messages"] {
            guard method == "GET" else { return Self.methodNotAllowed(request) }
            return state.withLock { $0.listMessages(request, mailbox: reference, folder: folder) }
        }
        guard messagePart[0] == "messages", messagePart.count == 2 || messagePart.count == 3 else {
            return .error(400, "BadRequest", "Resource not found for the segment '\(rest.last ?? "")'.")
        }
        let id = messageRest[1]
        if messagePart.count == 2 {
            switch method {
            case "GET": return state.withLock { $0.readMessage(request, mailbox: reference, id: id) }
            case "PATCH": return state.withLock { $0.patchMessage(request, mailbox: reference, id: id) }
            case "DELETE": return state.withLock { $0.deleteMessage(request, mailbox: reference, id: id) }
            default: return Self.methodNotAllowed(request)
            }
        }
        guard method == "POST" else { return Self.methodNotAllowed(request) }
        return state.withLock { $0.messageAction(request, mailbox: reference, id: id, action: messagePart[2]) }
    }

    private func delta(_ request: GraphRequest, mailbox reference: String, folder: String) async -> Reply {
        // The page is what the mailbox held when the request arrived; only its answer is slow.
        let (delay, reply) = state.withLock { ($0.deltaPageDelay, $0.deltaPage(request, mailbox: reference, folder: folder)) }
        if delay > .zero { try? await Task.sleep(for: delay) }
        return reply
    }
}

// MARK: - State: users and messages

extension FakeGraph.State {
    static func itemNotFound() -> Reply {
        .error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    }

    mutating func readUser(_ reference: String) -> Reply {
        let id = mailboxKey(reference)
        let upn = mailboxes[id]?.userPrincipalName ?? reference
        return .json(200, .object([
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#users/$entity"),
            "id": .string(id),
            "userPrincipalName": .string(upn),
            "mail": .string(upn),
            "displayName": .string(String(upn.split(separator: "@").first ?? Substring(upn))),
            "businessPhones": .array([]),
            "givenName": .null, "surname": .null, "jobTitle": .null, "mobilePhone": .null, "officeLocation": .null,
            "preferredLanguage": .null,
        ]))
    }

    static func html(_ text: String) -> String {
        // One pass over the bytes (the benchmarks render thousands of messages on the cores they measure).
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32)
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "&"): out += "&amp;".utf8
            case UInt8(ascii: "<"): out += "&lt;".utf8
            case UInt8(ascii: ">"): out += "&gt;".utf8
            case UInt8(ascii: "\""): out += "&quot;".utf8
            case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                out += "<br>\r\n".utf8
                i += 1
            case UInt8(ascii: "\n"): out += "<br>\r\n".utf8
            case let byte: out.append(byte)
            }
            i += 1
        }
        let escaped = String(decoding: out, as: UTF8.self)
        return "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>"
            + "<body><div>\(escaped)</div></body></html>"
    }

    static func preview(_ text: String) -> String {
        String(text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").prefix(255))
    }

    func messageJSON(_ stored: FakeGraph.StoredMessage, mailbox: String, textBody: Bool, context: Bool) -> JSONValue {
        let m = stored.message
        let body: JSONValue = .object([
            "contentType": .string(textBody ? "text" : "html"),
            "content": .string(textBody ? m.body : Self.html(m.body)),
        ])
        let from = GraphJSON.recipient(name: m.fromName, address: m.fromAddress)
        var object: [String: JSONValue] = [
            "@odata.etag": .string("W/\"\(stored.changeKey)\""),
            "id": .string(stored.id),
            "createdDateTime": .string(GraphFormat.dateTime(stored.createdAt)),
            "lastModifiedDateTime": .string(GraphFormat.dateTime(stored.modifiedAt)),
            "changeKey": .string(stored.changeKey),
            "categories": GraphJSON.strings(m.categories),
            "receivedDateTime": .string(GraphFormat.dateTime(m.receivedDateTime)),
            "sentDateTime": .string(GraphFormat.dateTime(m.receivedDateTime.addingTimeInterval(-1))),
            "hasAttachments": .bool(m.hasAttachments),
            "internetMessageId": .string(m.internetMessageId),
            "subject": .string(m.subject),
            "bodyPreview": .string(Self.preview(m.body)),
            "importance": .string(m.importance),
            "parentFolderId": .string(mailboxes[mailbox]?.folders[stored.folder] ?? ""),
            "conversationId": .string(m.conversationId),
            "isDeliveryReceiptRequested": .bool(false),
            "isReadReceiptRequested": .bool(false),
            "isRead": .bool(m.isRead),
            "isDraft": .bool(m.isDraft),
            "inferenceClassification": .string("focused"),
            "webLink": .string("https://outlook.office365.com/owa/?ItemID=\(FormCoding.encode(stored.id))&exvsurl=1&viewmodel=ReadMessageItem"),
            "body": body,
            "uniqueBody": body,
            "sender": from,
            "from": from,
            "toRecipients": GraphJSON.recipients(m.toAddresses),
            "ccRecipients": GraphJSON.recipients(m.ccAddresses),
            "bccRecipients": .array([]),
            "replyTo": GraphJSON.recipients(m.replyTo),
            "flag": .object(["flagStatus": .string(m.flagStatus)]),
            "internetMessageHeaders": .array(m.headers.sorted { $0.key < $1.key }.map {
                .object(["name": .string($0.key), "value": .string($0.value)])
            }),
        ]
        if context { object["@odata.context"] = .string("\(baseURL)/v1.0/$metadata#users('\(mailbox)')/messages/$entity") }
        return .object(object)
    }

    /// The few properties a delta round returns by default.
    func deltaItemJSON(_ stored: FakeGraph.StoredMessage, mailbox: String) -> JSONValue {
        let m = stored.message
        return .object([
            "@odata.type": .string("#microsoft.graph.message"),
            "@odata.etag": .string("W/\"\(stored.changeKey)\""),
            "id": .string(stored.id),
            "changeKey": .string(stored.changeKey),
            "subject": .string(m.subject),
            "receivedDateTime": .string(GraphFormat.dateTime(m.receivedDateTime)),
            "isRead": .bool(m.isRead),
            "from": GraphJSON.recipient(name: m.fromName, address: m.fromAddress),
            "parentFolderId": .string(mailboxes[mailbox]?.folders[stored.folder] ?? ""),
            "internetMessageId": .string(m.internetMessageId),
            "conversationId": .string(m.conversationId),
        ])
    }

    func bodyReply(_ status: Int, _ stored: FakeGraph.StoredMessage, mailbox: String, prefer: PreferHeader) -> Reply {
        .json(
            status, messageJSON(stored, mailbox: mailbox, textBody: prefer.textBody, context: true),
            headers: prefer.textBody ? [("Preference-Applied", "outlook.body-content-type=\"text\"")] : [])
    }

    mutating func readMessage(_ request: GraphRequest, mailbox reference: String, id: String) -> Reply {
        let mailbox = mailboxKey(reference)
        guard let stored = mailboxes[mailbox]?.messages[id] else { return Self.itemNotFound() }
        return bodyReply(200, stored, mailbox: mailbox, prefer: request.prefer)
    }

    mutating func deleteMessage(_ request: GraphRequest, mailbox reference: String, id: String) -> Reply {
        let mailbox = mailboxKey(reference)
        guard remove(mailbox: mailbox, id: id) != nil else { return Self.itemNotFound() }
        recordAction("delete", mailbox: mailbox, target: id, request: request, result: nil)
        return .empty(204)
    }

    mutating func recordAction(_ kind: String, mailbox: String?, target: String?, request: GraphRequest, result: String?) {
        actions.append(FakeGraph.Action(
            kind: kind, mailbox: mailbox, targetId: target, body: request.body, resultId: result, at: now,
            delegated: request.user != nil, sequence: request.sequence))
        if holdKinds.contains(kind), !holdsEnded { pendingHolds.insert(request.sequence) }
    }

    // MARK: - Listing

    /// Message properties `$select` may name (a few real ones the fake does not render are allowed, and absent).
    static let messageProperties: Set<String> = [
        "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime", "sentDateTime",
        "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance", "parentFolderId", "conversationId",
        "conversationIndex", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead", "isDraft", "inferenceClassification",
        "webLink", "body", "uniqueBody", "sender", "from", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag",
        "internetMessageHeaders",
    ]

    /// The string properties `$filter` supports here (lowercased), and only with `eq`.
    static let filterableMessageProperties: Set<String> = ["conversationid", "internetmessageid", "subject"]

    static func filterValue(_ property: String, of m: FakeGraph.Message) -> String? {
        switch property.lowercased() {
        case "conversationid": m.conversationId
        case "internetmessageid": m.internetMessageId
        case "subject": m.subject
        default: nil
        }
    }

    static func unknownProperty(_ name: String, type: String) -> Reply {
        .error(400, "RequestBroker--ParseUri", "Could not find a property named '\(name)' on type 'microsoft.graph.\(type)'.")
    }

    static func invalidFilter(_ filter: String) -> Reply {
        .error(400, "BadRequest", "Invalid filter clause: '\(filter)'. The fake Graph supports property eq 'value' clauses joined by 'and'.")
    }

    /// `GET …/messages` and `…/mailFolders/{folder}/messages`: newest first, with `$filter` (string `eq`
    /// clauses), `$select`, `$top` (default 10) and `$skip`, paged by `@odata.nextLink`.
    mutating func listMessages(_ request: GraphRequest, mailbox reference: String, folder folderReference: String?) -> Reply {
        let mailbox = mailboxKey(reference)
        let folder = folderReference.map { resolveFolder(mailbox: mailbox, $0) }
        let query = request.query
        var clauses: [(property: String, value: String)] = []
        if let filter = FormCoding.value("$filter", in: query) {
            guard let parsed = ODataFilter.equalities(filter) else { return Self.invalidFilter(filter) }
            for clause in parsed where !Self.filterableMessageProperties.contains(clause.property.lowercased()) {
                return Self.messageProperties.contains(where: { $0.lowercased() == clause.property.lowercased() })
                    ? Self.invalidFilter(filter) : Self.unknownProperty(clause.property, type: "message")
            }
            clauses = parsed
        }
        var newestFirst = true
        if let orderBy = FormCoding.value("$orderby", in: query) {
            // Outlook refuses a sort on a property the filter does not restrict first; this fake filters none of the dates.
            guard clauses.isEmpty else {
                return .error(400, "InefficientFilter", "The restriction or sort order is too complex for this operation.")
            }
            let parts = orderBy.split(separator: " ").map { $0.lowercased() }
            guard parts.count <= 2, ["receiveddatetime", "sentdatetime", "createddatetime"].contains(parts.first ?? ""),
                parts.count == 1 || ["asc", "desc"].contains(parts[1])
            else { return .error(400, "BadRequest", "Invalid $orderby: '\(orderBy)'.") }
            newestFirst = parts.count == 2 && parts[1] == "desc"
        }
        var selected: [String]?
        if let select = FormCoding.value("$select", in: query) {
            let names = select.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where !Self.messageProperties.contains(where: { $0.lowercased() == name.lowercased() }) {
                return Self.unknownProperty(name, type: "message")
            }
            selected = names
        }
        let top = FormCoding.value("$top", in: query).map { Int($0) } ?? 10
        let skip = FormCoding.value("$skip", in: query).map { Int($0) } ?? 0
        guard let top, top > 0, let skip, skip >= 0 else { return .error(400, "BadRequest", "Invalid value for $top or $skip.") }

        let box = mailboxes[mailbox]
        var matches = (box?.order ?? []).compactMap { box?.messages[$0] }.filter { stored in
            (folder == nil || stored.folder == folder)
                && clauses.allSatisfy { Self.filterValue($0.property, of: stored.message) == $0.value }
        }
        matches.sort { a, b in
            let (x, y) = newestFirst ? (b, a) : (a, b)
            if x.message.receivedDateTime != y.message.receivedDateTime { return x.message.receivedDateTime < y.message.receivedDateTime }
            return x.createdSequence < y.createdSequence
        }
        let page = matches.dropFirst(skip).prefix(min(top, 1000)).map { stored in
            Self.project(messageJSON(stored, mailbox: mailbox, textBody: request.prefer.textBody, context: false), selected)
        }
        var object: [String: JSONValue] = [
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#users('\(mailbox)')/messages"),
            "value": .array(page),
        ]
        if skip + page.count < matches.count {
            let others = FormCoding.parse(query).filter { $0.name.lowercased() != "$skip" }
            let next = (others.map { "\($0.name)=\(FormCoding.encode($0.value))" } + ["$skip=\(skip + page.count)"]).joined(separator: "&")
            object["@odata.nextLink"] = .string(baseURL + request.rawPath + "?" + next)
        }
        return .json(200, .object(object), headers: request.prefer.textBody ? [("Preference-Applied", "outlook.body-content-type=\"text\"")] : [])
    }

    /// `$select`: the named properties (any case) plus `id` and `@odata.etag`, which Graph always returns.
    static func project(_ value: JSONValue, _ selected: [String]?) -> JSONValue {
        guard let selected, let object = value.objectValue else { return value }
        let keep = Set(selected.map { $0.lowercased() } + ["id", "@odata.etag"])
        return .object(object.filter { keep.contains($0.key.lowercased()) })
    }
}
