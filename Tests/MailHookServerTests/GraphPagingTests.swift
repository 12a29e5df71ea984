import Foundation
import Hummingbird
import Logging
import MailHookCore
import MailHookGraph
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Synchronization
import Testing

/// Links in Graph's answers decide what the client fetches next: a link that repeats, that never
/// ends or that points elsewhere must not hold a round (and its lock) for ever or carry the token away.
@Suite("Graph paging")
struct GraphPagingTests {
    enum Links: Sendable { case repeating, endless, foreign }

    /// Requests the stand-in answered.
    final class Served: Sendable {
        private let count = Mutex(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
        var value: Int { count.withLock { $0 } }
    }

    /// A Graph stand-in on 127.0.0.1 whose every page links on as `links` says; tokens come from the fake Graph.
    static func withLinkingGraph(_ links: Links, _ body: @Sendable (GraphClient, Served) async throws -> Void) async throws {
        try await FakeGraph.with { graph in
            let port = Mutex(0)
            let served = Served()
            let server = try await LoopbackServer.start(name: "LinkingGraph", logger: Logger(label: "test")) { request in
                let n = served.next()
                let base = "http://127.0.0.1:\(port.withLock { $0 })/v1.0"
                let next = switch links {
                case .repeating: base + "/page?n=1"
                case .endless: base + "/page?n=\(n)"
                case .foreign: "https://elsewhere.example/v1.0/page?n=\(n)"
                }
                let body = JSONValue.object(["value": .array([]), "@odata.nextLink": .string(next)]).jsonText()
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            port.withLock { $0 = server.port }
            do {
                let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                let tokens = TokenProvider(
                    credentials: .init(authorityHost: graph.authorityHost, tenantId: "tenant-1", clientId: "client-1", clientSecret: Secret("secret-1"),
                                       scope: "https://graph.microsoft.com/.default"),
                    httpClient: .test, logger: logger)
                let client = GraphClient(baseURL: "http://127.0.0.1:\(server.port)/v1.0", httpClient: .test, tokens: tokens, logger: logger)
                try await body(client, served)
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
        }
    }

    static func code(_ call: () async throws -> Void) async -> String? {
        do {
            try await call()
            return nil
        } catch let error as GraphError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test("the subscription list stops at a link it followed already, and after its page limit")
    func subscriptionPages() async throws {
        try await Self.withLinkingGraph(.repeating) { client, served in
            #expect(await Self.code { _ = try await client.listSubscriptions() } == "subscription_pages")
            #expect(served.value == 2)
        }
        try await Self.withLinkingGraph(.endless) { client, served in
            #expect(await Self.code { _ = try await client.listSubscriptions(maxPages: 5) } == "subscription_pages")
            #expect(served.value == 5)
        }
    }

    @Test("a link to another host is not followed: the token stays with Graph")
    func foreignLink() async throws {
        try await Self.withLinkingGraph(.foreign) { client, served in
            #expect(await Self.code { _ = try await client.listSubscriptions() } == "foreign_link")
            #expect(served.value == 1)
        }
    }

    @Test("a delta round stops at a link it followed already and saves nothing")
    func deltaLoop() async throws {
        try await Self.withLinkingGraph(.repeating) { client, served in
            try await PipelineStoreTests.withStore(.sqlite) { store in
                let delta = DeltaSyncer(graph: client, store: store, folder: "Inbox", logger: Logger(label: "test"))
                #expect(await Self.code { _ = try await delta.sync(mailbox: "alice@example.com", mailboxId: "id-1") } == "delta_link_loop")
                #expect(served.value == 2, "the start and the page; the repeated link is not fetched")
                let state = try await store.deltaState(mailbox: "alice@example.com", folder: "Inbox")
                #expect(state == nil)
            }
        }
    }

    @Test("a delta round stops after its page limit, saves where it got to, and the next rounds go on: every message once (SQLite)")
    func deltaPageLimitSQLite() async throws { try await deltaPageLimit(.sqlite) }

    @Test("a delta round stops after its page limit, saves where it got to, and the next rounds go on: every message once (PostgreSQL)", .postgres)
    func deltaPageLimitPostgres() async throws { try await deltaPageLimit(.postgres) }

    func deltaPageLimit(_ database: TestDatabase) async throws {
        try await FakeGraph.with { graph in
            let client = GraphClientTests.client(for: graph)
            try await PipelineStoreTests.withStore(database) { store in
                let delta = DeltaSyncer(graph: client, store: store, folder: "Inbox", logger: Logger(label: "test"), pageSize: 1, maxPagesPerRound: 2)
                let mailbox = "alice@example.com"
                // The first round only sets the baseline.
                _ = try await delta.sync(mailbox: mailbox, mailboxId: "id-1")
                for n in 0..<5 { graph.addMessage(mailbox: mailbox, .init(subject: "m\(n)")) }
                var found: [Int] = []
                for _ in 0..<4 { found.append(try await delta.sync(mailbox: mailbox, mailboxId: "id-1")?.found ?? -1) }
                #expect(found == [2, 2, 1, 0])
                let rows = try await store.inboxRows(limit: 100)
                #expect(rows.count == 5)
                #expect(Set(rows.compactMap(\.messageKey)).count == 5)
            }
        }
    }
}
