import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookTestSupport
import Synchronization
import Testing

/// The Graph client against the fake Graph, through real HTTP.
@Suite("Graph client")
struct GraphClientTests {
    static func client(
        for graph: FakeGraph, breaker: CircuitBreaker = CircuitBreaker(), maxAnswerBytes: Int = 32 << 20,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) -> GraphClient {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let tokens = TokenProvider(
            credentials: .init(authorityHost: graph.authorityHost, tenantId: "tenant-1", clientId: "client-1", clientSecret: Secret("secret-1"),
                               scope: GraphClient.scope(forBaseURL: graph.graphBaseURL)),
            httpClient: .test, logger: logger)
        return GraphClient(
            baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, breaker: breaker, maxAnswerBytes: maxAnswerBytes, logger: logger, sleep: sleep)
    }

    @Test("100 concurrent callers cause one token request, and one more after the token expires")
    func singleFlightTokens() async throws {
        try await FakeGraph.with { graph in
            let client = Self.client(for: graph)
            let mailboxes = (0..<10).map { "user\($0)@example.com" }
            try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<100 { group.addTask { try await client.userId(mailbox: mailboxes[i % 10]) } }
                for try await _ in group {}
            }
            #expect(graph.tokenRequestCount == 1)
            graph.expireTokens()  // Graph now refuses the cached token: every caller sees a 401.
            try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<100 { group.addTask { try await client.userId(mailbox: mailboxes[i % 10]) } }
                for try await _ in group {}
            }
            #expect(graph.tokenRequestCount == 2)
        }
    }

    @Test("a token answer claiming a lifetime of 9.2e18 seconds neither traps nor stops the client")
    func hugeTokenLifetime() async throws {
        try await FakeGraph.with { graph in
            graph.tokenLifetimeSeconds = .max
            let client = Self.client(for: graph)
            do {
                #expect(try await client.userId(mailbox: "a@example.com") == graph.mailboxId("a@example.com"))
            } catch {
                Issue.record("the call failed: \(error)")
            }
            #expect(graph.tokenRequestCount == 1)
        }
    }

    @Test("an answer over the size limit is refused once, not retried, and does not count against Graph's health")
    func oversizedAnswer() async throws {
        try await FakeGraph.with { graph in
            let client = Self.client(for: graph, breaker: CircuitBreaker(failureThreshold: 1), maxAnswerBytes: 8 << 10)
            let id = graph.addMessage(mailbox: "a@example.com", .init(subject: "Large", body: String(repeating: "x", count: 64 << 10)))
            do {
                _ = try await client.message(mailbox: "a@example.com", id: id)
                Issue.record("expected the answer to be refused")
            } catch let error as GraphError {
                #expect(error.code == "answer_too_large")
            }
            #expect(graph.calls(matching: "GET", pathPrefix: "/v1.0/users/a@example.com/messages/").count == 1)
            let small = graph.addMessage(mailbox: "a@example.com", .init(subject: "Small"))
            do {
                #expect(try await client.message(mailbox: "a@example.com", id: small)?["subject"]?.stringValue == "Small")
            } catch {
                Issue.record("the breaker opened: \(error)")
            }
        }
    }

    @Test("a wrong client secret is an authentication error that names Entra's code, not the secret")
    func badCredentials() async throws {
        try await FakeGraph.with { graph in
            let tokens = TokenProvider(
                credentials: .init(authorityHost: graph.authorityHost, tenantId: "tenant-1", clientId: "client-1",
                                   clientSecret: Secret("wrong-secret-value"), scope: "https://graph.microsoft.com/.default"),
                httpClient: .test, logger: Logger(label: "test"))
            let client = GraphClient(baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, logger: Logger(label: "test"))
            do {
                _ = try await client.userId(mailbox: "a@example.com")
                Issue.record("expected a failure")
            } catch let error as GraphError {
                #expect(error.kind == .authentication)
                #expect(error.code == "invalid_client")
                #expect(!"\(error)".contains("wrong-secret-value"))
            }
        }
    }

    @Test("30% throttled: 200 fetches over 5 mailboxes complete, ≤ 4 in flight per mailbox, Retry-After honoured")
    func throttling() async throws {
        try await FakeGraph.with { graph in
            let waits = WaitLog()
            let client = Self.client(for: graph) { duration in
                waits.record(duration)
                try await Task.sleep(for: duration)
            }
            let mailboxes = (0..<5).map { "box\($0)@example.com" }
            var ids: [(String, String)] = []
            for mailbox in mailboxes {
                for n in 0..<40 { ids.append((mailbox, graph.addMessage(mailbox: mailbox, .init(subject: "m\(n)")))) }
            }
            graph.setLatency(.milliseconds(20))
            graph.setThrottle(fraction: 0.3, retryAfterSeconds: 1)
            let fetched = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (mailbox, id) in ids { group.addTask { try await client.message(mailbox: mailbox, id: id) != nil } }
                var count = 0
                for try await found in group where found { count += 1 }
                return count
            }
            #expect(fetched == 200)
            #expect(graph.peakConcurrencyPerMailbox.values.allSatisfy { $0 <= 4 }, "\(graph.peakConcurrencyPerMailbox)")
            let throttled = graph.calls.filter { $0.status == 429 }.count
            #expect(throttled >= 50, "the fake throttled \(throttled) calls")
            #expect(waits.all.count == throttled)
            #expect(waits.all.allSatisfy { $0 == .seconds(1) }, "every wait after a 429 is the Retry-After")
        }
    }

    @Test("503s are retried with backoff; a 404 message is gone, not an error; the breaker opens after repeated failures")
    func failures() async throws {
        try await FakeGraph.with { graph in
            let waits = WaitLog()
            let client = Self.client(for: graph) { duration in waits.record(duration) }
            let id = graph.addMessage(mailbox: "a@example.com", .init(subject: "hello"))
            graph.failNext(2, status: 503)
            #expect(try await client.message(mailbox: "a@example.com", id: id)?["subject"]?.stringValue == "hello")
            #expect(waits.all.count == 2)
            #expect(try await client.message(mailbox: "a@example.com", id: "AAMk-missing=") == nil)

            graph.failNext(100, status: 500)
            for _ in 0..<5 {
                await #expect(throws: GraphError.self) { _ = try await client.message(mailbox: "a@example.com", id: id) }
            }
            #expect(client.breaker.state == .open)
            do {
                _ = try await client.message(mailbox: "a@example.com", id: id)
                Issue.record("the open breaker let a call through")
            } catch let error as GraphError {
                #expect(error.kind == .circuitOpen)
            }
        }
    }

    @Test("messages map to the core model: text body, decoded entities, Graph's timestamp formats")
    func messageMapping() async throws {
        try await FakeGraph.with { graph in
            let client = Self.client(for: graph)
            let received = Date(timeIntervalSince1970: 1_768_469_400.1234567)
            let id = graph.addMessage(mailbox: "it@example.com", .init(
                subject: "Printer &amp; scanner", fromAddress: "alice@example.com", fromName: "Alice",
                body: "Hello&nbsp;IT &lt;team&gt;", receivedDateTime: received))
            let json = try #require(try await client.message(mailbox: "it@example.com", id: id))
            let message = try GraphMessageMapper.map(json, mailbox: "it@example.com")
            #expect(message.id == id)
            #expect(message.subject == "Printer & scanner")
            #expect(message.bodyText == "Hello IT <team>")
            #expect(message.from == .init(address: "alice@example.com", name: "Alice"))
            #expect(abs(message.receivedAt.timeIntervalSince(received)) < 0.001)
            let get = try #require(graph.calls(matching: "GET", pathPrefix: "/v1.0/users/").last)
            #expect(get.headers["prefer"]?.contains(#"outlook.body-content-type="text""#) == true)
            #expect(get.headers["prefer"]?.contains(#"IdType="ImmutableId""#) == true)
            #expect(get.query.contains("$select="))
        }
    }
}

final class WaitLog: Sendable {
    private let waits = Mutex<[Duration]>([])
    func record(_ d: Duration) { waits.withLock { $0.append(d) } }
    var all: [Duration] { waits.withLock { $0 } }
}
