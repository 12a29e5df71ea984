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
}
