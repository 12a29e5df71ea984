import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import NIOHTTP1

/// One Graph write the pipeline makes, built before it is made so that dry-run can record the
/// exact request and live mode can record it before the call.
public struct GraphActionRequest: Sendable, Equatable {
    public var method: String
    /// Relative to the Graph base URL.
    public var path: String
    public var body: JSONValue?
    /// Sent with the delegated (user) token rather than the app's.
    public var delegated: Bool

    public init(method: String, path: String, body: JSONValue?, delegated: Bool = false) {
        self.method = method
        self.path = path
        self.body = body
        self.delegated = delegated
    }

    /// What `action_records.request` keeps: no token, only which kind was used.
    public var recorded: JSONValue {
        .object([
            "method": .string(method), "path": .string(path), "body": body ?? .null,
            "token": .string(delegated ? "delegated" : "application"),
        ])
    }
}

extension GraphClient {
    // MARK: Building requests (pure)

    /// `POST …/messages/{id}/reply` with the generated text as the comment (202, a copy lands in
    /// Sent Items). `headers` go out as the reply's internet message headers (custom names must
    /// start with `X-`): MailHook marks its replies and asks other systems not to answer them.
    public static func replyRequest(mailbox: String, messageId: String, comment: String, headers: [(String, String)] = []) -> GraphActionRequest {
        var body: [String: JSONValue] = ["comment": .string(comment)]
        if !headers.isEmpty {
            body["message"] = .object(["internetMessageHeaders": .array(headers.map { .object(["name": .string($0.0), "value": .string($0.1)]) })])
        }
        return GraphActionRequest(method: "POST", path: "/users/\(escape(mailbox))/messages/\(escape(messageId))/reply", body: .object(body))
    }

    /// `POST …/messages/{id}/createReply`: a draft carrying the suggested text (201).
    public static func draftReplyRequest(mailbox: String, messageId: String, comment: String) -> GraphActionRequest {
        GraphActionRequest(method: "POST", path: "/users/\(escape(mailbox))/messages/\(escape(messageId))/createReply",
                           body: .object(["comment": .string(comment)]))
    }

    /// `PATCH …/messages/{id}`: categories (kept plus ours) and a follow-up flag.
    public static func flagRequest(mailbox: String, messageId: String, categories: [String]) -> GraphActionRequest {
        GraphActionRequest(method: "PATCH", path: "/users/\(escape(mailbox))/messages/\(escape(messageId))", body: .object([
            "categories": .array(categories.map(JSONValue.string)),
            "flag": .object(["flagStatus": .string("flagged")]),
        ]))
    }

    /// `POST /chats`: a group chat with a topic; members by UPN or object id, all owners.
    public static func createChatRequest(topic: String, members: [String], graphBaseURL: String) -> GraphActionRequest {
        // The bind URL names the directory object; Graph accepts its own v1.0 base here.
        let base = graphBaseURL.hasSuffix("/") ? String(graphBaseURL.dropLast()) : graphBaseURL
        let bound: [JSONValue] = members.map { member in
            .object([
                "@odata.type": .string("#microsoft.graph.aadUserConversationMember"),
                "roles": .array([.string("owner")]),
                "user@odata.bind": .string("\(base)/users('\(member.replacingOccurrences(of: "'", with: "''"))')"),
            ])
        }
        return GraphActionRequest(method: "POST", path: "/chats", body: .object([
            "chatType": .string("group"), "topic": .string(topic), "members": .array(bound),
        ]))
    }

    /// `POST /chats/{id}/messages` with the delegated token (app-only tokens may only import messages).
    public static func chatMessageRequest(chatId: String, html: String) -> GraphActionRequest {
        GraphActionRequest(method: "POST", path: "/chats/\(escape(chatId))/messages",
                           body: .object(["body": .object(["contentType": .string("html"), "content": .string(html)])]), delegated: true)
    }

    // MARK: Making them

    /// Sends a planned request; `delegated` requests need `delegatedTokens`.
    public func perform(_ request: GraphActionRequest, mailbox: String?, delegatedTokens: (any GraphTokenSource)?) async throws -> Response {
        if request.delegated, delegatedTokens == nil {
            throw GraphError(kind: .authentication, code: "no_delegated_token", message: "this call needs teams.delegatedRefreshToken")
        }
        return try await send(HTTPMethod(rawValue: request.method), request.path, mailbox: mailbox, body: request.body,
                              prefer: request.method == "POST" && request.path.hasSuffix("/createReply") ? [Self.immutableIds] : [],
                              tokens: request.delegated ? delegatedTokens : nil)
    }

    /// Whether Sent Items holds a message of the conversation sent at or after `since`: the
    /// evidence that a reply whose outcome we never learned (a crash mid-call) went out.
    public func sentReplyExists(mailbox: String, conversationId: String, since: Date) async throws -> Bool {
        let filter = "conversationId eq '\(conversationId.replacingOccurrences(of: "'", with: "''"))'"
        let path = "/users/\(Self.escape(mailbox))/mailFolders/sentitems/messages?$filter=\(TokenProvider.formEncode(filter))&$select=id,sentDateTime,receivedDateTime&$top=25"
        let response = try await send(.GET, path, mailbox: mailbox, prefer: [Self.immutableIds])
        // A few seconds of slack for clock differences between us and Exchange.
        let threshold = since.addingTimeInterval(-30)
        return (response.json?["value"]?.arrayValue ?? []).contains { message in
            let sent = (message["sentDateTime"]?.stringValue ?? message["receivedDateTime"]?.stringValue).flatMap(GraphDate.parse)
            return sent.map { $0 >= threshold } ?? true
        }
    }

    /// The chat with this topic that the delegated user belongs to, if any (a chat created just
    /// before a crash is found again instead of being created twice).
    public func chat(topic: String, delegatedTokens: any GraphTokenSource) async throws -> (id: String, webUrl: String?)? {
        let filter = "topic eq '\(topic.replacingOccurrences(of: "'", with: "''"))'"
        let response = try await send(.GET, "/me/chats?$filter=\(TokenProvider.formEncode(filter))", tokens: delegatedTokens)
        guard let first = response.json?["value"]?.arrayValue?.first, let id = first["id"]?.stringValue else { return nil }
        return (id, first["webUrl"]?.stringValue)
    }

    /// Whether the chat holds a message containing `marker` (MailHook's reference for an
    /// interrupted post), among its latest 50.
    public func chatMessageExists(chatId: String, marker: String, delegatedTokens: any GraphTokenSource) async throws -> Bool {
        let response = try await send(.GET, "/chats/\(Self.escape(chatId))/messages?$top=50", tokens: delegatedTokens)
        return (response.json?["value"]?.arrayValue ?? []).contains { message in
            message["body"]?["content"]?.stringValue?.contains(marker) ?? false
        }
    }

    /// The delegated user's object id and UPN (they must be a member of chats they post into).
    public func me(delegatedTokens: any GraphTokenSource) async throws -> (id: String, userPrincipalName: String?) {
        let response = try await send(.GET, "/me?$select=id,userPrincipalName", tokens: delegatedTokens)
        guard let id = response.json?["id"]?.stringValue else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the signed-in user has no id")
        }
        return (id, response.json?["userPrincipalName"]?.stringValue)
    }

    /// Delegated tokens for `teams.delegatedRefreshToken`: the same app registration and credential
    /// as the app's own tokens, redeeming a user's refresh token; nil without one.
    public func delegatedTokens(refreshToken: Secret?, keeper: TokenProvider.RefreshTokenKeeper? = nil) -> TokenProvider? {
        guard let refreshToken, !refreshToken.value.isEmpty else { return nil }
        var credentials = tokens.configured
        credentials.scope = Self.scope(forBaseURL: baseURL).replacingOccurrences(of: "/.default", with: "") + "/.default offline_access"
        credentials.refreshToken = refreshToken
        return TokenProvider(credentials: credentials, httpClient: httpClient, logger: logger, keeper: keeper)
    }
}
