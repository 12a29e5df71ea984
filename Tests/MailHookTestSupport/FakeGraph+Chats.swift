import Foundation
import MailHookCore

// MARK: - State: Teams chats

extension FakeGraph.State {
    /// `/chats/…` (and `/me/chats/…`, which arrives with a delegated user).
    mutating func chatsRoute(_ request: GraphRequest, _ rest: [String]) -> Reply {
        let lower = rest.map { $0.lowercased() }
        switch (request.method, lower.count) {
        case ("POST", 0): return createChat(request)
        case ("GET", 0): return listChats(request)
        case ("GET", 1): return readChat(request, id: rest[0])
        case ("POST", 2) where lower[1] == "messages": return postChatMessage(request, chat: rest[0])
        case ("GET", 2) where lower[1] == "messages": return listChatMessages(request, chat: rest[0])
        case (_, 0), (_, 1): return FakeGraph.methodNotAllowed(request)
        case (_, 2) where lower[1] == "messages": return FakeGraph.methodNotAllowed(request)
        default: return .error(400, "BadRequest", "Resource not found for the segment '\(rest.last ?? "")'.")
        }
    }

    /// Whether a member reference (user id or UPN, any case) names this user.
    func isMember(_ userId: String, of chat: FakeGraph.Chat) -> Bool {
        let upn = mailboxes[userId]?.userPrincipalName.lowercased()
        return chat.members.contains { reference in
            let key = reference.lowercased()
            return key == userId.lowercased() || key == upn || aliases[key] == userId
        }
    }

    /// The user named by `https://graph.microsoft.com/v1.0/users('<id or upn>')` (or `…/users/<id>`).
    static func boundUser(_ bind: String) -> String? {
        let segments = GraphRequest.splitSegments(bind)
        guard let index = segments.lastIndex(where: { $0.lowercased() == "users" }), index + 1 < segments.count else { return nil }
        let user = segments[index + 1]
        return user.isEmpty ? nil : user
    }

    /// The chat when it exists and the caller may see it: any chat for app-only tokens, member chats for delegated ones.
    func visibleChat(_ request: GraphRequest, _ id: String) -> Result<Int, Reply> {
        guard let index = chats.firstIndex(where: { $0.id == id }) else {
            return .failure(.error(404, "NotFound", "Resource not found for the chat '\(id)'."))
        }
        if let user = request.user, !isMember(user, of: chats[index]) {
            return .failure(.error(403, "Forbidden", "Forbidden: the signed-in user is not a member of the chat."))
        }
        return .success(index)
    }

    func chatJSON(_ chat: FakeGraph.Chat) -> [String: JSONValue] {
        [
            "id": .string(chat.id),
            "topic": GraphJSON.string(chat.topic),
            "chatType": .string(chat.chatType),
            "createdDateTime": .string(GraphFormat.dateTime(chat.createdAt)),
            "lastUpdatedDateTime": .string(GraphFormat.dateTime(chat.lastUpdatedAt)),
            "tenantId": .string(tenantId),
            "onlineMeetingInfo": .null,
            "webUrl": .string("https://teams.microsoft.com/l/chat/\(FormCoding.encode(chat.id))/0?tenantId=\(tenantId)"),
        ]
    }

    func chatMessageJSON(_ message: FakeGraph.ChatMessage) -> [String: JSONValue] {
        let from: JSONValue
        if let user = message.fromUserId {
            let upn = mailboxes[user]?.userPrincipalName ?? user
            from = .object([
                "application": .null,
                "device": .null,
                "user": .object([
                    "@odata.type": .string("#microsoft.graph.teamworkUserIdentity"),
                    "id": .string(user),
                    "displayName": .string(String(upn.split(separator: "@").first ?? Substring(upn))),
                    "userIdentityType": .string("aadUser"),
                    "tenantId": .string(tenantId),
                ]),
            ])
        } else {
            from = .object(["application": .object(["id": .string(clientId), "displayName": .string("FakeGraph app")])])
        }
        let created = GraphFormat.dateTime(message.createdAt)
        return [
            "id": .string(message.id),
            "etag": .string(message.id),
            "replyToId": .null,
            "messageType": .string("message"),
            "createdDateTime": .string(created),
            "lastModifiedDateTime": .string(created),
            "chatId": .string(message.chatId),
            "importance": .string("normal"),
            "from": from,
            "body": .object(["contentType": .string(message.contentType), "content": .string(message.content)]),
        ]
    }

    private mutating func createChat(_ request: GraphRequest) -> Reply {
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return reply
        case .success(let object): body = object
        }
        guard let chatType = body["chatType"]?.stringValue, ["oneOnOne", "group"].contains(chatType) else {
            return .error(400, "BadRequest", "chatType must be 'oneOnOne' or 'group'.")
        }
        let topic = body["topic"]?.stringValue
        if topic != nil, chatType != "group" { return .error(400, "BadRequest", "A topic can only be set on group chats.") }
        guard let members = body["members"]?.arrayValue, !members.isEmpty else {
            return .error(400, "BadRequest", "The members of the chat are required.")
        }
        var references: [String] = []
        for member in members {
            // conversationMember is abstract: Graph needs the concrete type to read the member.
            guard member["@odata.type"]?.stringValue == "#microsoft.graph.aadUserConversationMember" else {
                return .error(400, "BadRequest", "Each member needs \"@odata.type\": \"#microsoft.graph.aadUserConversationMember\".")
            }
            guard let user = member["user@odata.bind"]?.stringValue.flatMap(Self.boundUser) else {
                return .error(400, "BadRequest", "Each member needs a user@odata.bind of the form https://graph.microsoft.com/v1.0/users('<id>').")
            }
            references.append(user)
        }
        if chatType == "oneOnOne", references.count != 2 {
            return .error(400, "BadRequest", "A oneOnOne chat must have exactly 2 members.")
        }
        let id = "19:\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))@thread.v2"
        let chat = FakeGraph.Chat(id: id, topic: topic, chatType: chatType, members: references, createdAt: now, lastUpdatedAt: now)
        // In delegated context the signed-in user creates the chat and so has to be in it.
        if let user = request.user, !isMember(user, of: chat) {
            return .error(400, "BadRequest", "The signed-in user must be a member of the chat.")
        }
        chats.append(chat)
        recordAction("createChat", mailbox: nil, target: nil, request: request, result: id)
        var object = chatJSON(chat)
        object["@odata.context"] = .string("\(baseURL)/v1.0/$metadata#chats/$entity")
        return .json(201, .object(object))
    }

    private func readChat(_ request: GraphRequest, id: String) -> Reply {
        switch visibleChat(request, id) {
        case .failure(let reply): return reply
        case .success(let index):
            var object = chatJSON(chats[index])
            object["@odata.context"] = .string("\(baseURL)/v1.0/$metadata#chats/$entity")
            return .json(200, .object(object))
        }
    }

    /// `GET /chats` and `/me/chats`, optionally `$filter=topic eq '…'` (or `chatType eq '…'`); a delegated
    /// caller sees only the chats it is a member of. Oldest first, one page.
    private func listChats(_ request: GraphRequest) -> Reply {
        var clauses: [(property: String, value: String)] = []
        if let filter = FormCoding.value("$filter", in: request.query) {
            guard let parsed = ODataFilter.equalities(filter) else { return Self.invalidFilter(filter) }
            for clause in parsed where !["topic", "chattype"].contains(clause.property.lowercased()) {
                return Self.unknownProperty(clause.property, type: "chat")
            }
            clauses = parsed
        }
        let visible = chats.filter { chat in
            (request.user.map { isMember($0, of: chat) } ?? true)
                && clauses.allSatisfy { clause in
                    (clause.property.lowercased() == "topic" ? chat.topic : chat.chatType) == clause.value
                }
        }
        return .json(200, .object([
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#chats"),
            "@odata.count": GraphJSON.int(visible.count),
            "value": .array(visible.map { .object(chatJSON($0)) }),
        ]))
    }

    private mutating func postChatMessage(_ request: GraphRequest, chat: String) -> Reply {
        let index: Int
        switch visibleChat(request, chat) {
        case .failure(let reply): return reply
        case .success(let found): index = found
        }
        if request.user == nil, rejectAppOnlyChatMessages {
            return .error(403, "Forbidden", "Message POST is allowed in application-only context only for import purposes.")
        }
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return reply
        case .success(let object): body = object
        }
        guard let content = body["body"]?["content"]?.stringValue, !content.isEmpty else {
            return .error(400, "BadRequest", "Message body cannot be empty.")
        }
        let contentType = body["body"]?["contentType"]?.stringValue ?? "text"
        guard ["text", "html"].contains(contentType) else {
            return .error(400, "BadRequest", "The body contentType must be 'text' or 'html'.")
        }
        // Teams message ids are creation times in milliseconds.
        lastChatMessageId = max(lastChatMessageId + 1, Int(now.timeIntervalSince1970 * 1000))
        let message = FakeGraph.ChatMessage(
            id: String(lastChatMessageId), chatId: chat, contentType: contentType, content: content, fromUserId: request.user,
            createdAt: now)
        chats[index].messages.append(message)
        chats[index].lastUpdatedAt = now
        recordAction("chatMessage", mailbox: nil, target: chat, request: request, result: message.id)
        var object = chatMessageJSON(message)
        object["@odata.context"] = .string("\(baseURL)/v1.0/$metadata#chats('\(chat)')/messages/$entity")
        return .json(201, .object(object))
    }

    /// `GET /chats/{id}/messages`: newest first, `$top` (default 20, at most 50), one page.
    private func listChatMessages(_ request: GraphRequest, chat: String) -> Reply {
        let index: Int
        switch visibleChat(request, chat) {
        case .failure(let reply): return reply
        case .success(let found): index = found
        }
        let top = FormCoding.value("$top", in: request.query).map { Int($0) } ?? 20
        guard let top, (1...50).contains(top) else { return .error(400, "BadRequest", "$top must be between 1 and 50.") }
        return .json(200, .object([
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#chats('\(chat)')/messages"),
            "@odata.count": GraphJSON.int(min(top, chats[index].messages.count)),
            "value": .array(chats[index].messages.reversed().prefix(top).map { .object(chatMessageJSON($0)) }),
        ]))
    }
}
