import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailHookCore
@testable import MailHookTestSupport
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// The fake Graph's delegated tokens, chats, folders, held writes and Teams workflows.
extension FakeGraphTests {
    @Test("the refresh-token grant issues delegated tokens for the service account and rotates the refresh token")
    func delegatedTokens() async throws {
        try await FakeGraph.with { graph in
            #expect(graph.delegatedRefreshToken == "fake-refresh-token-1")
            let first = try await Self.refresh(graph, scope: "ChatMessage.Send Chat.ReadWrite offline_access")
            #expect(first.status == 200)
            #expect(first.json?["token_type"]?.stringValue == "Bearer")
            #expect(first.json?["expires_in"] == .number(3599))
            #expect(first.json?["scope"]?.stringValue == "ChatMessage.Send Chat.ReadWrite")
            let access = try #require(first.json?["access_token"]?.stringValue)
            #expect(access.hasPrefix("fake-delegated-token-"))
            let rotated = try #require(first.json?["refresh_token"]?.stringValue)
            #expect(rotated != "fake-refresh-token-1")
            #expect(graph.delegatedRefreshToken == rotated)
            #expect(graph.acceptedRefreshTokens == ["fake-refresh-token-1", rotated])

            // The old refresh token still redeems for a while, as in Entra; so does the new one.
            #expect(try await Self.refresh(graph, refreshToken: "fake-refresh-token-1").status == 200)
            #expect(try await Self.refresh(graph, refreshToken: rotated, scope: "https://graph.microsoft.com/.default offline_access").status == 200)

            let wrong = try await Self.refresh(graph, refreshToken: "stolen")
            #expect(wrong.status == 400)
            #expect(wrong.json?["error"]?.stringValue == "invalid_grant")
            #expect(wrong.json?["error_description"]?.stringValue?.hasPrefix("AADSTS70000:") == true)
            #expect(try await Self.refresh(graph, secret: "nope").json?["error"]?.stringValue == "invalid_client")
            #expect(try await Self.refresh(graph, scope: "").status == 400)

            let me = try await Self.send(.GET, graph.graphBaseURL + "/me", token: access)
            #expect(me.status == 200)
            #expect(me.json?["id"]?.stringValue == graph.delegatedUserId)
            #expect(graph.delegatedUserId == graph.mailboxId("mailhook-bot@contoso.example"))
            #expect(me.json?["userPrincipalName"]?.stringValue == "mailhook-bot@contoso.example")
            #expect(me.json?["mail"]?.stringValue == "mailhook-bot@contoso.example")
            #expect(me.json?["displayName"]?.stringValue == "mailhook-bot")
            let appOnly = try await Self.send(.GET, graph.graphBaseURL + "/me", token: try await Self.accessToken(graph))
            #expect(appOnly.status == 400)
            #expect(appOnly.json?["error"]?["message"]?.stringValue == "/me request is only valid with delegated authentication flow.")
            let meCalls = graph.calls(matching: "GET", pathPrefix: "/v1.0/me")
            #expect(meCalls.map(\.delegated) == [true, false])

            graph.revokeRefreshTokens()
            #expect(try await Self.refresh(graph, refreshToken: rotated).json?["error"]?.stringValue == "invalid_grant")
            graph.delegatedRefreshToken = "configured-by-test"
            graph.delegatedUser = "other-bot@contoso.example"
            let other = try #require(try await Self.refresh(graph, refreshToken: "configured-by-test").json?["access_token"]?.stringValue)
            #expect(try await Self.send(.GET, graph.graphBaseURL + "/me", token: other).json?["userPrincipalName"]?.stringValue
                == "other-bot@contoso.example")
            graph.expireTokens()
            #expect(try await Self.send(.GET, graph.graphBaseURL + "/me", token: other).status == 401)
        }
    }

    @Test("chat messages: 403 for app-only tokens, 201 for a delegated member, 403 for a non-member; chats listed by topic")
    func chatsByTokenType() async throws {
        try await FakeGraph.with { graph in
            let app = try await Self.accessToken(graph)
            let delegated = try await Self.delegatedToken(graph)
            #expect(graph.rejectAppOnlyChatMessages)
            let topic = "MailHook: O'Brien's invoice"
            // Members by id and by UPN in another case: both name the bot.
            let withBot = try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: app,
                body: Self.chatBody(topic: topic, members: ["alice@contoso.example", graph.delegatedUser.uppercased()]))
            let chatId = try #require(withBot.json?["id"]?.stringValue)
            let byId = try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: delegated,
                body: Self.chatBody(topic: "Other", members: ["bob@contoso.example", graph.delegatedUserId]))
            #expect(byId.status == 201)
            let withoutBot = try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: app, body: Self.chatBody(topic: topic, members: ["alice@contoso.example", "carol@contoso.example"]))
            let foreignId = try #require(withoutBot.json?["id"]?.stringValue)
            #expect(try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: delegated, body: Self.chatBody(topic: "x", members: ["a@contoso.example", "b@contoso.example"])
            ).status == 400)
            #expect(graph.chat(id: chatId)?.topic == topic)
            #expect(graph.chat(id: chatId)?.members == ["alice@contoso.example", graph.delegatedUser.uppercased()])

            let message = #"{"body":{"contentType":"html","content":"<p>New mail</p>"}}"#
            let appPost = try await Self.send(.POST, graph.graphBaseURL + "/chats/\(chatId)/messages", token: app, body: message)
            #expect(appPost.status == 403)
            #expect(appPost.json?["error"]?["message"]?.stringValue == "Message POST is allowed in application-only context only for import purposes.")
            let posted = try await Self.send(.POST, graph.graphBaseURL + "/chats/\(chatId)/messages", token: delegated, body: message)
            #expect(posted.status == 201)
            #expect(posted.json?["from"]?["user"]?["id"]?.stringValue == graph.delegatedUserId)
            #expect(try await Self.send(.POST, graph.graphBaseURL + "/chats/\(foreignId)/messages", token: delegated, body: message).status == 403)
            #expect(try await Self.send(.POST, graph.graphBaseURL + "/chats/19:nope@thread.v2/messages", token: delegated, body: message).status == 404)
            let posts = graph.actions.filter { $0.kind == "chatMessage" }
            #expect(posts.count == 1)
            #expect(posts.first?.delegated == true && posts.first?.targetId == chatId)
            #expect(graph.calls(matching: "POST", pathPrefix: "/v1.0/chats/\(chatId)/messages").map(\.delegated) == [false, true])
            #expect(graph.chat(id: chatId)?.messages.map(\.content) == ["<p>New mail</p>"])
            let history = try await Self.send(.GET, graph.graphBaseURL + "/chats/\(chatId)/messages?$top=5", token: delegated)
            #expect(history.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [posted.json?["id"]?.stringValue].compactMap { $0 })

            let filter = "$filter=" + Self.encodeQuery("topic eq 'MailHook: O''Brien''s invoice'")
            let mine = try await Self.send(.GET, graph.graphBaseURL + "/me/chats?" + filter, token: delegated)
            #expect(mine.status == 200)
            #expect(mine.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [chatId])
            #expect(mine.json?["value"]?.arrayValue?.first?["webUrl"]?.stringValue?.hasPrefix("https://teams.microsoft.com/l/chat/") == true)
            #expect(mine.json?["value"]?.arrayValue?.first?["chatType"]?.stringValue == "group")
            let all = try await Self.send(.GET, graph.graphBaseURL + "/chats?" + filter, token: app)
            #expect(Set(all.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [chatId, foreignId])
            #expect(try await Self.send(.GET, graph.graphBaseURL + "/me/chats?" + filter, token: app).status == 400)
            let none = try await Self.send(.GET, graph.graphBaseURL + "/me/chats?$filter=" + Self.encodeQuery("topic eq 'nothing'"), token: delegated)
            #expect(none.json?["value"]?.arrayValue?.isEmpty == true)
            #expect(try await Self.send(.GET, graph.graphBaseURL + "/me/chats?$filter=" + Self.encodeQuery("colour eq 'red'"), token: delegated).status == 400)

            graph.rejectAppOnlyChatMessages = false
            #expect(try await Self.send(.POST, graph.graphBaseURL + "/chats/\(chatId)/messages", token: app, body: message).status == 201)
        }
    }

    @Test("messages in a folder are listed by conversationId, newest first, with $select and $top paging")
    func listMessagesByConversation() async throws {
        try await FakeGraph.with { graph in
            let token = try await Self.accessToken(graph)
            let mailbox = "grace@contoso.example"
            let conversation = "AAQkConv'1="
            let original = graph.addMessage(mailbox: mailbox, .init(subject: "Printer", conversationId: conversation))
            graph.addMessage(mailbox: mailbox, .init(subject: "Unrelated"))
            let base = graph.graphBaseURL + "/users/\(mailbox)/messages/\(original)"
            #expect(try await Self.send(.POST, base + "/reply", token: token, body: #"{"comment":"first"}"#).status == 202)
            #expect(try await Self.send(.POST, base + "/reply", token: token, body: #"{"comment":"second"}"#).status == 202)
            #expect(try await Self.send(.POST, base + "/createReply", token: token, body: #"{"comment":"draft"}"#).status == 201)
            graph.addMessage(mailbox: mailbox, folder: "SentItems", .init(subject: "Other thread"))

            let filter = "$filter=" + Self.encodeQuery("conversationId eq 'AAQkConv''1='")
            let sent = try await Self.send(
                .GET, graph.graphBaseURL + "/users/\(mailbox)/mailFolders('SentItems')/messages?\(filter)&$select=id,conversationId,body,isDraft&$top=10",
                token: token)
            #expect(sent.status == 200)
            let values = sent.json?["value"]?.arrayValue ?? []
            #expect(values.compactMap { $0["body"]?["content"]?.stringValue }.map { $0.contains("second") } == [true, false])
            #expect(values.allSatisfy { $0["conversationId"]?.stringValue == conversation && $0["isDraft"] == .bool(false) })
            #expect(values.allSatisfy { $0["subject"] == nil && $0["@odata.etag"] != nil })
            #expect(sent.json?["@odata.nextLink"] == nil)

            let drafts = try await Self.send(.GET, graph.graphBaseURL + "/users/\(mailbox)/mailFolders/drafts/messages?\(filter)", token: token)
            #expect(drafts.json?["value"]?.arrayValue?.map { $0["isDraft"] } == [.bool(true)])
            let inbox = try await Self.send(.GET, graph.graphBaseURL + "/users/\(mailbox)/mailFolders/INBOX/messages?\(filter)", token: token)
            #expect(inbox.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [original])
            let everywhere = try await Self.send(.GET, graph.graphBaseURL + "/users/\(mailbox)/messages?\(filter)", token: token)
            #expect(everywhere.json?["value"]?.arrayValue?.count == 4)

            let firstPage = try await Self.send(.GET, graph.graphBaseURL + "/users/\(mailbox)/mailFolders/sentitems/messages?\(filter)&$top=1", token: token)
            #expect(firstPage.json?["value"]?.arrayValue?.count == 1)
            let next = try #require(firstPage.json?["@odata.nextLink"]?.stringValue)
            let secondPage = try await Self.send(.GET, next, token: token)
            #expect(secondPage.json?["value"]?.arrayValue?.first?["body"]?["content"]?.stringValue?.contains("first") == true)
            #expect(secondPage.json?["@odata.nextLink"] == nil)

            let folderPath = graph.graphBaseURL + "/users/\(mailbox)/mailFolders/sentitems/messages?"
            let unsupported = try await Self.send(.GET, folderPath + "$filter=" + Self.encodeQuery("startswith(subject,'RE')"), token: token)
            #expect(unsupported.status == 400)
            let unknown = try await Self.send(.GET, folderPath + "$filter=" + Self.encodeQuery("colour eq 'red'"), token: token)
            #expect(unknown.status == 400)
            #expect(unknown.errorCode == "RequestBroker--ParseUri")
            let sorted = try await Self.send(.GET, folderPath + filter + "&$orderby=" + Self.encodeQuery("receivedDateTime desc"), token: token)
            #expect(sorted.errorCode == "InefficientFilter")
            #expect(try await Self.send(.GET, folderPath + "$select=colour", token: token).status == 400)
        }
    }

    @Test("a held write is done and recorded but not answered until released; a dropped client does not wedge stop()",
          .timeLimit(.minutes(1)))
    func heldActions() async throws {
        let graph = try await FakeGraph.start()
        do {
            let token = try await Self.accessToken(graph)
            let mailbox = "heidi@contoso.example"
            let id = graph.addMessage(mailbox: mailbox, .init(subject: "Crash me"))
            let replyURL = graph.graphBaseURL + "/users/\(mailbox)/messages/\(id)/reply"
            graph.holdActions(["reply"])
            let pending = Task { try await Self.send(.POST, replyURL, token: token, body: #"{"comment":"Once"}"#) }
            let action = try await graph.waitForAction("reply")
            #expect(action.targetId == id)
            #expect(graph.heldActionCount == 1)
            #expect(graph.messageIds(mailbox: mailbox, folder: "sentitems").count == 1)
            #expect(graph.calls(matching: "POST", pathPrefix: "/v1.0/users/\(mailbox)/messages/\(id)/reply").map(\.status) == [0])
            // Other requests are answered meanwhile.
            #expect(try await Self.send(.GET, graph.graphBaseURL + "/users/\(mailbox)/messages/\(id)", token: token).status == 200)
            graph.releaseHeldActions()
            #expect(try await pending.value.status == 202)
            #expect(graph.heldActionCount == 0)
            await #expect(throws: FakeGraphError.self) { try await graph.waitForAction("reply", count: 2, timeout: .milliseconds(50)) }

            // A client killed while it waits: the request stays held and stop() still returns.
            graph.holdActions(["reply", "workflowPost"])
            try await RawHTTPClient.sendThenDrop(
                port: Int(try #require(graph.baseURL.split(separator: ":").last.flatMap { Int($0) })), method: "POST",
                path: "/v1.0/users/\(mailbox)/messages/\(id)/reply",
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: #"{"comment":"Twice"}"#)
            try await graph.waitForAction("reply", count: 2)
            #expect(graph.messageIds(mailbox: mailbox, folder: "sentitems").count == 2)
            #expect(graph.heldActionCount == 1)
            try await graph.stop()
            #expect(graph.heldActionCount == 0)
        } catch {
            try? await graph.stop()
            throw error
        }
    }

    @Test("FakeGraph.with answers held requests before it shuts down", .timeLimit(.minutes(1)))
    func heldActionsEndWithScope() async throws {
        let answer = try await FakeGraph.with { graph in
            graph.holdActions(["workflowPost"])
            let pending = Task { try await Self.send(.POST, graph.workflowURL(), body: #"{"text":"held"}"#) }
            try await graph.waitForAction("workflowPost")
            #expect(graph.workflowPosts == [.object(["text": .string("held")])])
            return pending
        }
        #expect(try await answer.value.status == 202)
    }

    @Test("Teams workflow webhooks are recorded and answered 202, signature ignored, with failure injection")
    func workflowRecorder() async throws {
        try await FakeGraph.with { graph in
            let url = graph.workflowURL()
            #expect(url.hasPrefix(graph.baseURL + "/workflows/teams/") && url.contains("sig="))
            let card = #"{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard"}}]}"#
            let accepted = try await Self.send(.POST, url, body: card)
            #expect(accepted.status == 202)
            #expect(accepted.body.isEmpty)
            #expect(try await Self.send(.POST, graph.baseURL + "/workflows/alerts?sig=abc", body: #"{"text":"short form"}"#).status == 202)

            graph.failNextWorkflowPosts(1, status: 500)
            #expect(try await Self.send(.POST, url, body: card).status == 500)
            #expect(try await Self.send(.POST, url, body: "not json").status == 400)
            #expect(try await Self.send(.GET, url).status == 405)
            #expect(try await Self.send(.POST, url, body: card).status == 202)

            #expect(graph.workflowPosts.count == 3)
            #expect(graph.workflowPosts.first?["attachments"]?.arrayValue?.first?["content"]?["type"]?.stringValue == "AdaptiveCard")
            #expect(graph.workflowRequests.map(\.status) == [202, 202, 500, 400, 202])
            #expect(graph.workflowRequests.map(\.name) == ["teams", "alerts", "teams", "teams", "teams"])
            #expect(graph.workflowRequests.first?.query.contains("sig=fake-signature") == true)
            #expect(graph.actions.filter { $0.kind == "workflowPost" }.compactMap(\.targetId) == ["teams", "alerts", "teams"])
        }
    }
}
