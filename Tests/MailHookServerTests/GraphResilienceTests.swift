import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookTestSupport
import Testing

/// The breaker always releases its probe, the token endpoint has a breaker of its own, and a
/// write whose outcome is unknown is never sent twice by the client.
@Suite("Graph resilience")
struct GraphResilienceTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func client(
        _ graph: FakeGraph, breaker: CircuitBreaker, tokenBreaker: CircuitBreaker = CircuitBreaker(failureThreshold: 3, coolDown: .milliseconds(200)),
        timeout: Duration = .seconds(30)
    ) -> GraphClient {
        let tokens = TokenProvider(
            credentials: .init(authorityHost: graph.authorityHost, tenantId: "tenant-1", clientId: "client-1", clientSecret: Secret("secret-1"),
                               scope: GraphClient.scope(forBaseURL: graph.graphBaseURL)),
            httpClient: .test, logger: logger, breaker: tokenBreaker)
        return GraphClient(
            baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, breaker: breaker,
            retry: RetryPolicy(maxAttempts: 1), timeout: timeout, logger: logger, sleep: { _ in })
    }

    /// Opens `breaker` with failures Graph answers, then waits out its cool-down.
    static func openThenCool(_ client: GraphClient, _ graph: FakeGraph, failures: Int) async throws {
        graph.failNext(failures, status: 503)
        for _ in 0..<failures { _ = try? await client.userId(mailbox: "a@example.com") }
        #expect(client.breaker.state == .open)
        try await eventually { client.breaker.allow(now: .now + .milliseconds(1)) ? true : false }
        client.breaker.releaseProbe()
    }

    @Test("a 401 during the half-open probe: the token is refreshed, the probe is not stuck, the circuit closes")
    func probeWith401() async throws {
        try await FakeGraph.with { graph in
            let breaker = CircuitBreaker(failureThreshold: 2, coolDown: .milliseconds(200))
            let client = Self.client(graph, breaker: breaker)
            _ = try await client.userId(mailbox: "a@example.com")
            try await Self.openThenCool(client, graph, failures: 2)
            graph.expireTokens()  // the probe's token is refused once
            #expect(try await client.userId(mailbox: "a@example.com").isEmpty == false)
            #expect(breaker.state == .closed)
        }
    }

    @Test("a token endpoint failure during the probe releases it; the token endpoint's own breaker opens, then recovers")
    func probeWithTokenFailure() async throws {
        try await FakeGraph.with { graph in
            let breaker = CircuitBreaker(failureThreshold: 2, coolDown: .milliseconds(200))
            // Long enough that the fourth call still finds it open on a loaded machine.
            let tokenBreaker = CircuitBreaker(failureThreshold: 3, coolDown: .seconds(2))
            let client = Self.client(graph, breaker: breaker, tokenBreaker: tokenBreaker)
            try await Self.openThenCool(client, graph, failures: 2)
            graph.expireTokens()
            graph.failTokenRequests(3)
            for _ in 0..<3 {
                do {
                    _ = try await client.userId(mailbox: "a@example.com")
                    Issue.record("expected the token endpoint to fail")
                } catch let error as GraphError {
                    #expect(error.kind == .authentication || error.kind == .transport)
                }
            }
            #expect(tokenBreaker.state == .open)
            #expect(breaker.state != .open, "Graph's breaker is not blamed for Entra")
            do {
                _ = try await client.userId(mailbox: "a@example.com")
                Issue.record("expected the token breaker to refuse")
            } catch let error as GraphError {
                #expect(error.kind == .circuitOpen && error.code == "token_circuit_open")
            }
            try await eventually { (try? await client.userId(mailbox: "a@example.com")) != nil }
            #expect(tokenBreaker.state == .closed && breaker.state == .closed)
        }
    }

    @Test("a reply POST whose answer never comes is not sent again by the client; a GET is retried")
    func noBlindRetryOfWrites() async throws {
        try await FakeGraph.with { graph in
            let tokens = TokenProvider(
                credentials: .init(authorityHost: graph.authorityHost, tenantId: "tenant-1", clientId: "client-1", clientSecret: Secret("secret-1"),
                                   scope: GraphClient.scope(forBaseURL: graph.graphBaseURL)),
                httpClient: .test, logger: Self.logger)
            let client = GraphClient(
                baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, retry: RetryPolicy(maxAttempts: 4), timeout: .seconds(5),
                logger: Self.logger, sleep: { _ in })
            let id = graph.addMessage(mailbox: "it@contoso.example", .init(subject: "Where is the VPN guide?"))
            graph.holdActions(["reply"])
            let request = GraphClient.replyRequest(mailbox: "it@contoso.example", messageId: id, comment: "Hello")
            do {
                _ = try await client.perform(request, mailbox: "it@contoso.example", delegatedTokens: nil)
                Issue.record("expected a timeout")
            } catch let error as GraphError {
                #expect(error.kind == .transport)
            }
            graph.releaseHeldActions()
            #expect(graph.actions.filter { $0.kind == "reply" }.count == 1, "sent once, not retried after the timeout")
            // Reads are retried: the same policy with a timeout that a loaded test machine cannot hit.
            let reader = GraphClient(
                baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, retry: RetryPolicy(maxAttempts: 4), timeout: .seconds(30),
                logger: Self.logger, sleep: { _ in })
            graph.failNext(2, status: 503)
            _ = try await reader.userId(mailbox: "it@contoso.example")
            #expect(graph.calls.filter { $0.status == 503 }.count == 2, "two 503s, then the answer")
        }
    }
}
