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

/// Drives the fake Graph with plain AsyncHTTPClient requests, so client tests can trust what it imitates.
struct FakeGraphTests {
    @Test("message bodies are served as Outlook's HTML: escaped, each line break a <br>")
    func htmlBodies() {
        let html = FakeGraph.State.html("a & b <c> \"d\"\r\ne\nf\rg é")
        #expect(html.hasSuffix("<body><div>a &amp; b &lt;c&gt; &quot;d&quot;<br>\r\ne<br>\r\nf\rg é</div></body></html>"), "\(html)")
    }

    @Test("tokens are issued for the right credentials and every /v1.0 call needs a live one")
    func tokensAndAuthentication() async throws {
        try await FakeGraph.with { graph in
            let userURL = graph.graphBaseURL + "/users/alice@contoso.example"
            let anonymous = try await Self.send(.GET, userURL)
            #expect(anonymous.status == 401)
            #expect(anonymous.errorCode == "InvalidAuthenticationToken")
            #expect(UUID(uuidString: anonymous.headers.first(name: "request-id") ?? "") != nil)
            let forged = try await Self.send(.GET, userURL, token: "forged")
            #expect(forged.status == 401)
            #expect(forged.errorCode == "InvalidAuthenticationToken")

            let wrongSecret = try await Self.requestToken(graph, secret: "nope")
            #expect(wrongSecret.status == 401)
            #expect(wrongSecret.json?["error"]?.stringValue == "invalid_client")
            let badScope = try await Self.requestToken(graph, scope: "https://graph.microsoft.com/Mail.Read")
            #expect(badScope.status == 400)

            let issued = try await Self.requestToken(graph)
            #expect(issued.status == 200)
            #expect(issued.json?["token_type"]?.stringValue == "Bearer")
            #expect(issued.json?["expires_in"] == .number(3599))
            #expect(UUID(uuidString: issued.headers.first(name: "request-id") ?? "") != nil)
            let token = try #require(issued.json?["access_token"]?.stringValue)
            #expect(token.hasPrefix("fake-token-"))
            #expect(graph.tokenRequestCount == 3)

            let user = try await Self.send(.GET, userURL, token: token)
            #expect(user.status == 200)
            #expect(user.json?["id"]?.stringValue == graph.mailboxId("alice@contoso.example"))
            #expect(user.json?["userPrincipalName"]?.stringValue == "alice@contoso.example")
            let guid = graph.mailboxId("alice@contoso.example")
            #expect(graph.mailboxId(guid) == guid)

            graph.expireTokens()
            #expect(try await Self.send(.GET, userURL, token: token).status == 401)

            graph.tokenLifetimeSeconds = 60
            let short = try #require(try await Self.requestToken(graph).json?["access_token"]?.stringValue)
            #expect(try await Self.send(.GET, userURL, token: short).status == 200)
            graph.advanceTime(by: 61)
            #expect(try await Self.send(.GET, userURL, token: short).status == 401)
            #expect(graph.calls.allSatisfy { $0.headers["authorization"] == nil && $0.status != 0 })
        }
    }

    @Test("creating a subscription validates both URLs, then notifications carry the clientState")
    func subscriptionValidation() async throws {
        try await Self.withReceiver(answer: .correct) { receiverURL, receiver in
            try await FakeGraph.with { graph in
                let token = try await Self.accessToken(graph)
                let resource = "users/alice@contoso.example/mailFolders('Inbox')/messages"
                let request = Self.subscriptionBody(
                    resource: resource, notificationUrl: receiverURL + "/notify?mailbox=alice",
                    lifecycleUrl: receiverURL + "/lifecycle", minutes: 3 * 24 * 60)
                let created = try await Self.send(
                    .POST, graph.graphBaseURL + "/subscriptions", token: token, headers: [("Prefer", "IdType=\"ImmutableId\"")], body: request)
                #expect(created.status == 201)
                let id = try #require(created.json?["id"]?.stringValue)
                #expect(UUID(uuidString: id) != nil)
                #expect(created.json?["clientState"]?.stringValue == "state-of-alice")
                #expect(created.json?["applicationId"]?.stringValue == graph.clientId)
                let expiry = created.json?["expirationDateTime"]?.stringValue ?? ""
                #expect(expiry.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z/) != nil, "\(expiry)")

                let validations = graph.validations
                #expect(validations.map(\.target) == [.notification, .lifecycle])
                #expect(validations.allSatisfy { $0.succeeded })
                #expect(validations[0].url.contains("/notify?mailbox=alice&validationToken=Validation%3A+Testing+"))
                #expect(validations[0].token.contains(" + ") && validations[0].token.contains("Request-Id: "))
                #expect(receiver.validationTokens == validations.map(\.token))
                let stored = try #require(graph.subscriptions.first)
                #expect(stored.clientState == "state-of-alice")
                #expect(stored.immutableIds)
                #expect(stored.mailboxId == graph.mailboxId("alice@contoso.example"))

                let duplicate = try await Self.send(.POST, graph.graphBaseURL + "/subscriptions", token: token, body: request)
                #expect(duplicate.status == 409)
                #expect(duplicate.errorCode == "Conflict")
                #expect(graph.validations.count == 2)

                let tooLong = Self.subscriptionBody(resource: resource, notificationUrl: receiverURL + "/notify", minutes: 10081, changeType: "updated")
                let rejected = try await Self.send(.POST, graph.graphBaseURL + "/subscriptions", token: token, body: tooLong)
                #expect(rejected.status == 400)
                #expect(rejected.errorCode == "ExtensionError")
                #expect(rejected.json?["error"]?["message"]?.stringValue == "Subscription expiration can only be 10080 minutes in the future.")

                let short = Self.subscriptionBody(resource: resource, notificationUrl: receiverURL + "/notify", minutes: 10, changeType: "updated")
                let raised = try await Self.send(.POST, graph.graphBaseURL + "/subscriptions", token: token, body: short)
                #expect(raised.status == 201)
                let raisedExpiry = try Date(String((raised.json?["expirationDateTime"]?.stringValue ?? "").prefix(19)) + "Z", strategy: .iso8601)
                #expect(abs(raisedExpiry.timeIntervalSince(graph.now) - 45 * 60) < 5)

                #expect(try await graph.notify(subscriptionId: id, messageId: "AAMkMessage1=") == 202)
                let notification = try JSONValue.parse(Array((receiver.notificationBodies.last ?? "").utf8))
                let item = try #require(notification["value"]?.arrayValue?.first)
                #expect(item["clientState"]?.stringValue == "state-of-alice")
                #expect(item["subscriptionId"]?.stringValue == id)
                #expect(item["resource"]?.stringValue == "Users/\(stored.mailboxId ?? "")/Messages/AAMkMessage1=")
                #expect(item["resourceData"]?["id"]?.stringValue == "AAMkMessage1=")
                #expect(item["tenantId"]?.stringValue == graph.tenantId)

                graph.removeSubscription(id: id)
                #expect(try await graph.sendLifecycle(subscriptionId: id, event: "subscriptionRemoved") == 202)
                let lifecycle = try JSONValue.parse(Array((receiver.notificationBodies.last ?? "").utf8))
                #expect(lifecycle["value"]?.arrayValue?.first?["lifecycleEvent"]?.stringValue == "subscriptionRemoved")
                #expect(try await Self.send(.GET, graph.graphBaseURL + "/subscriptions/\(id)", token: token).errorCode == "ResourceNotFound")

                let list = try await Self.send(.GET, graph.graphBaseURL + "/subscriptions", token: token)
                #expect(list.json?["value"]?.arrayValue?.count == 1)
                #expect(list.json?["value"]?.arrayValue?.first?["clientState"] == .null)
            }
        }
    }

    @Test("an endpoint that echoes the encoded token fails validation with 400 ValidationError")
    func failedValidation() async throws {
        try await Self.withReceiver(answer: .encoded) { receiverURL, _ in
            try await FakeGraph.with { graph in
                let token = try await Self.accessToken(graph)
                let request = Self.subscriptionBody(
                    resource: "users/bob@contoso.example/messages", notificationUrl: receiverURL + "/notify", minutes: 60)
                let reply = try await Self.send(.POST, graph.graphBaseURL + "/subscriptions", token: token, body: request)
                #expect(reply.status == 400)
                #expect(reply.errorCode == "ValidationError")
                #expect(reply.json?["error"]?["message"]?.stringValue
                    == "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")
                #expect(graph.subscriptions.isEmpty)
                let validation = try #require(graph.validations.first)
                #expect(validation.status == 200)
                #expect(!validation.succeeded)
            }
        }
    }

    @Test("an endpoint slower than the validation timeout gets 400 InvalidRequest")
    func validationTimeout() async throws {
        try await Self.withReceiver(answer: .slow) { receiverURL, _ in
            let graph = try await FakeGraph.start()
            do {
                graph.validationTimeout = .milliseconds(200)
                let token = try await Self.accessToken(graph)
                let request = Self.subscriptionBody(resource: "users/erin@contoso.example/messages", notificationUrl: receiverURL + "/notify", minutes: 60)
                let reply = try await Self.send(.POST, graph.graphBaseURL + "/subscriptions", token: token, body: request)
                #expect(reply.status == 400)
                #expect(reply.errorCode == "InvalidRequest")
                #expect(reply.json?["error"]?["message"]?.stringValue == "Subscription validation request timed out.")
                #expect(graph.validations.first?.timedOut == true)
                try await graph.stop()
                try await graph.stop()
            } catch {
                try? await graph.stop()
                throw error
            }
            // AHC retries refused connections until the deadline, hence the short one.
            await #expect(throws: (any Error).self) { try await Self.send(.GET, graph.baseURL + "/v1.0/users/x", timeout: .milliseconds(500)) }
        }
    }

    @Test("mail actions and Teams chats are answered like Graph and recorded")
    func mailActionsAndChats() async throws {
        try await FakeGraph.with { graph in
            let token = try await Self.accessToken(graph)
            let mailbox = "frank@contoso.example"
            let id = graph.addMessage(mailbox: mailbox, .init(subject: "Broken printer"))
            let base = graph.graphBaseURL + "/users/\(mailbox)/messages/\(id)"

            let both = try await Self.send(.POST, base + "/reply", token: token, body: #"{"comment":"a","message":{"body":{"content":"b"}}}"#)
            #expect(both.status == 400)
            let reply = try await Self.send(.POST, base + "/reply", token: token, body: #"{"comment":"On it."}"#)
            #expect(reply.status == 202)
            #expect(reply.body.isEmpty)
            #expect(graph.messageIds(mailbox: mailbox, folder: "SentItems").count == 1)

            let draft = try await Self.send(.POST, base + "/createReply", token: token, body: #"{"comment":"Draft"}"#)
            #expect(draft.status == 201)
            #expect(draft.json?["isDraft"] == .bool(true))
            #expect(draft.json?["subject"]?.stringValue == "RE: Broken printer")
            #expect(draft.json?["id"]?.stringValue != id)

            let patched = try await Self.send(
                .PATCH, base, token: token, body: #"{"categories":["Triage"],"flag":{"flagStatus":"flagged"},"isRead":true}"#)
            #expect(patched.status == 200)
            #expect(patched.json?["categories"] == .array([.string("Triage")]))
            #expect(graph.message(mailbox: mailbox, id: id)?.flagStatus == "flagged")
            #expect(try await Self.send(.PATCH, base, token: token, body: #"{"colour":"red"}"#).status == 400)

            let untyped = try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: token,
                body: #"{"chatType":"group","topic":"Incident","members":[{"user@odata.bind":"https://graph.microsoft.com/v1.0/users('a')"}]}"#)
            #expect(untyped.status == 400)
            let chat = try await Self.send(
                .POST, graph.graphBaseURL + "/chats", token: token,
                body: Self.chatBody(topic: "Incident", members: ["a", graph.delegatedUser]))
            #expect(chat.status == 201)
            let chatId = try #require(chat.json?["id"]?.stringValue)
            #expect(chatId.hasPrefix("19:") && chatId.hasSuffix("@thread.v2"))
            let message = #"{"body":{"contentType":"html","content":"<p>New mail</p>"}}"#
            let appOnly = try await Self.send(.POST, graph.graphBaseURL + "/chats/\(chatId)/messages", token: token, body: message)
            #expect(appOnly.status == 403)
            let delegated = try await Self.delegatedToken(graph)
            let posted = try await Self.send(.POST, graph.graphBaseURL + "/chats/\(chatId)/messages", token: delegated, body: message)
            #expect(posted.status == 201)
            #expect(posted.json?["id"]?.stringValue != nil)
            #expect(graph.actions.map(\.kind) == ["reply", "createReply", "update", "createChat", "chatMessage"])
            #expect(graph.actions.map(\.delegated) == [false, false, false, false, true])
        }
    }

    @Test("delta pages with nextLink, ends in a deltaLink, reports new and deleted mail, and 410 after invalidation")
    func deltaRounds() async throws {
        try await FakeGraph.with { graph in
            graph.deltaPageSize = 2
            let mailbox = "bob@contoso.example"
            let ids = (1...5).map { graph.addMessage(mailbox: mailbox, .init(subject: "m\($0)")) }
            graph.addMessage(mailbox: mailbox, folder: "Archive", .init(subject: "elsewhere"))
            let token = try await Self.accessToken(graph)

            var url = graph.graphBaseURL + "/users/\(mailbox)/mailFolders('Inbox')/messages/delta?$select=subject,from"
            var seen: [String] = []
            var pages = 0
            var deltaLink: String?
            while deltaLink == nil {
                let page = try await Self.send(.GET, url, token: token)
                try #require(page.status == 200)
                pages += 1
                seen += page.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                if let next = page.json?["@odata.nextLink"]?.stringValue {
                    #expect(next.hasPrefix(graph.graphBaseURL + "/users/") && next.contains("$skiptoken="))
                    url = next
                } else {
                    deltaLink = page.json?["@odata.deltaLink"]?.stringValue
                    try #require(deltaLink != nil)
                }
            }
            #expect(pages == 3)
            #expect(seen == ids)

            let quiet = try await Self.send(.GET, try #require(deltaLink), token: token)
            #expect(quiet.json?["value"]?.arrayValue?.isEmpty == true)
            let quietLink = try #require(quiet.json?["@odata.deltaLink"]?.stringValue)

            let fresh = graph.addMessage(mailbox: mailbox, .init(subject: "m6"))
            graph.deleteMessage(mailbox: mailbox, id: ids[0])
            let changes = try await Self.send(.GET, quietLink, token: token)
            let values = changes.json?["value"]?.arrayValue ?? []
            #expect(values.compactMap { $0["id"]?.stringValue } == [fresh, ids[0]])
            #expect(values.last?["@removed"]?["reason"]?.stringValue == "deleted")
            #expect(values.first?["subject"]?.stringValue == "m6")
            let nextLink = try #require(changes.json?["@odata.deltaLink"]?.stringValue)

            let bigPage = try await Self.send(
                .GET, graph.graphBaseURL + "/users/\(graph.mailboxId(mailbox))/mailFolders/inbox/messages/delta", token: token,
                headers: [("Prefer", "odata.maxpagesize=4")])
            #expect(bigPage.json?["value"]?.arrayValue?.count == 4)
            #expect(bigPage.json?["@odata.nextLink"] != nil)

            graph.invalidateDeltaTokens()
            let gone = try await Self.send(.GET, nextLink, token: token)
            #expect(gone.status == 410)
            #expect(gone.errorCode == "SyncStateNotFound")
            #expect(gone.json?["error"]?["message"]?.stringValue == "The sync state generation is not found.")
        }
    }

    @Test("more than 4 requests in flight for one mailbox get 429 ApplicationThrottled")
    func mailboxConcurrency() async throws {
        try await FakeGraph.with { graph in
            let token = try await Self.accessToken(graph)
            let id = graph.addMessage(mailbox: "carol@contoso.example", .init())
            let url = graph.graphBaseURL + "/users/carol@contoso.example/messages/\(id)"
            graph.setLatency(.milliseconds(800))
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.send(.GET, url, token: token) } }
                return try await group.reduce(into: [Answer]()) { $0.append($1) }
            }
            let ok = answers.filter { $0.status == 200 }
            let throttled = answers.filter { $0.status == 429 }
            #expect(ok.count >= 4)
            #expect(!throttled.isEmpty)
            #expect(ok.count + throttled.count == 8)
            #expect(throttled.allSatisfy { $0.errorCode == "ApplicationThrottled" && $0.headers.first(name: "Retry-After") == "1" })
            #expect((graph.peakConcurrencyPerMailbox[graph.mailboxId("carol@contoso.example")] ?? 0) > 4)
        }
    }

    @Test("injected failures, deterministic throttling and the message shape")
    func failureInjection() async throws {
        try await FakeGraph.with { graph in
            let token = try await Self.accessToken(graph)
            let id = graph.addMessage(mailbox: "dave@contoso.example", .init(subject: "Invoice", body: "Line 1\nLine <2>"))
            let url = graph.graphBaseURL + "/users/dave@contoso.example/messages/\(id)"

            graph.failNext(2, status: 503, retryAfter: "2")
            for _ in 0..<2 {
                let failed = try await Self.send(.GET, url, token: token)
                #expect(failed.status == 503)
                #expect(failed.headers.first(name: "Retry-After") == "2")
                #expect(failed.errorCode != nil)
            }
            graph.setThrottle(fraction: 0.5, retryAfterSeconds: 3)
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await Self.send(.GET, url, token: token).status) }
            #expect(statuses == [200, 429, 200, 429])
            graph.setThrottle(fraction: 0, retryAfterSeconds: 0)

            let text = try await Self.send(.GET, url, token: token, headers: [("Prefer", "outlook.body-content-type=\"text\", IdType=\"ImmutableId\"")])
            #expect(text.status == 200)
            #expect(text.json?["body"]?["contentType"]?.stringValue == "text")
            #expect(text.json?["body"]?["content"]?.stringValue == "Line 1\nLine <2>")
            #expect(text.json?["from"]?["emailAddress"]?["address"]?.stringValue == "sender@fabrikam.example")
            #expect(text.headers.first(name: "Preference-Applied") == "outlook.body-content-type=\"text\"")
            let html = try await Self.send(.GET, url, token: token)
            #expect(html.json?["body"]?["contentType"]?.stringValue == "html")
            #expect(html.json?["uniqueBody"]?["content"]?.stringValue?.contains("Line &lt;2&gt;") == true)
            let fetches = graph.calls(matching: "GET", pathPrefix: "/v1.0/users/dave@contoso.example/messages/")
            #expect(fetches.count == 8)
            #expect(fetches.filter { $0.headers["prefer"]?.contains("outlook.body-content-type=\"text\"") == true }.count == 1)

            let missing = try await Self.send(.GET, graph.graphBaseURL + "/users/dave@contoso.example/messages/AAMkNope=", token: token)
            #expect(missing.status == 404)
            #expect(missing.errorCode == "ErrorItemNotFound")
        }
    }

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

    // MARK: - Helpers

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String
        var json: JSONValue? { try? JSONValue.parse(Array(body.utf8)) }
        var errorCode: String? { json?["error"]?["code"]?.stringValue }
    }

    static func send(
        _ method: HTTPMethod, _ url: String, token: String? = nil, headers: [(String, String)] = [], body: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.test.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    static func requestToken(
        _ graph: FakeGraph, secret: String? = nil, scope: String = "https://graph.microsoft.com/.default"
    ) async throws -> Answer {
        let form = "client_id=\(graph.clientId)&client_secret=\(secret ?? graph.clientSecret)&grant_type=client_credentials&scope="
            + (scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? scope)
        return try await send(
            .POST, "\(graph.authorityHost)/\(graph.tenantId)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
    }

    static func accessToken(_ graph: FakeGraph) async throws -> String {
        try #require(try await requestToken(graph).json?["access_token"]?.stringValue)
    }

    /// The refresh-token grant, as the product redeems the service account's refresh token.
    static func refresh(
        _ graph: FakeGraph, refreshToken: String? = nil, secret: String? = nil,
        scope: String = "https://graph.microsoft.com/.default offline_access"
    ) async throws -> Answer {
        let form = [
            ("client_id", graph.clientId), ("client_secret", secret ?? graph.clientSecret), ("grant_type", "refresh_token"),
            ("refresh_token", refreshToken ?? graph.delegatedRefreshToken), ("scope", scope),
        ].map { "\($0.0)=\(encodeQuery($0.1))" }.joined(separator: "&")
        return try await send(
            .POST, "\(graph.authorityHost)/\(graph.tenantId)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
    }

    static func delegatedToken(_ graph: FakeGraph) async throws -> String {
        try #require(try await refresh(graph).json?["access_token"]?.stringValue)
    }

    static func encodeQuery(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    static func chatBody(topic: String, members: [String]) -> String {
        JSONValue.object([
            "chatType": .string("group"),
            "topic": .string(topic),
            "members": .array(members.map { member in
                .object([
                    "@odata.type": .string("#microsoft.graph.aadUserConversationMember"),
                    "roles": .array([.string("owner")]),
                    "user@odata.bind": .string("https://graph.microsoft.com/v1.0/users('\(member)')"),
                ])
            }),
        ]).jsonText()
    }

    static func subscriptionBody(
        resource: String, notificationUrl: String, lifecycleUrl: String? = nil, minutes: Double, changeType: String = "created"
    ) -> String {
        var object: [String: JSONValue] = [
            "changeType": .string(changeType),
            "notificationUrl": .string(notificationUrl),
            "resource": .string(resource),
            "expirationDateTime": .string(Date().addingTimeInterval(minutes * 60).ISO8601Format()),
            "clientState": .string("state-of-alice"),
        ]
        if let lifecycleUrl { object["lifecycleNotificationUrl"] = .string(lifecycleUrl) }
        return JSONValue.object(object).jsonText()
    }

    /// A notification endpoint: answers validation (correctly, with the still-encoded token, or too late)
    /// and keeps the bodies of the notifications it gets.
    final class Receiver: Sendable {
        enum Answer: Sendable { case correct, encoded, slow }
        let answer: Answer
        private let tokens = Mutex<[String]>([])
        private let notifications = Mutex<[String]>([])

        init(answer: Answer) { self.answer = answer }

        var validationTokens: [String] { tokens.withLock { $0 } }
        var notificationBodies: [String] { notifications.withLock { $0 } }

        func handle(_ request: Request) async throws -> Response {
            let query = request.uri.query ?? ""
            if let pair = query.split(separator: "&").first(where: { $0.hasPrefix("validationToken=") }) {
                let encoded = String(pair.dropFirst("validationToken=".count))
                let token = encoded.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                tokens.withLock { $0.append(token) }
                if answer == .slow { try await Task.sleep(for: .milliseconds(600)) }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: answer == .encoded ? encoded : token)))
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            notifications.withLock { $0.append(String(buffer: body)) }
            return Response(status: .accepted)
        }
    }

    static func withReceiver<T>(
        answer: Receiver.Answer,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (String, Receiver) async throws -> T
    ) async throws -> T {
        let receiver = Receiver(answer: answer)
        let router = Router()
        router.post("/notify") { request, _ in try await receiver.handle(request) }
        router.post("/lifecycle") { request, _ in try await receiver.handle(request) }
        let logger = Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self, isolation: isolation) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw FakeGraphError("the receiver did not start") }
            do {
                let value = try await body("http://127.0.0.1:\(port)", receiver)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
