import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import MailHookCore
import MailHookGraph
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Synchronization
import Testing

/// Subscriptions, renewal, lifecycle handling and delta catch-up: the real server, the real Graph
/// client and the fake Graph, all over HTTP on 127.0.0.1.
@Suite("Graph subscriptions and catch-up")
struct GraphSyncTests {
    static let mailboxes: TestServer.Configure = { $0.graph.mailboxes = ["alice@example.com", "bob@example.com"] }

    /// The graph section for one or more mailboxes, with other keys as `adjust` sets them.
    static func settings(_ mailboxes: [String], _ adjust: @escaping @Sendable (inout MailHookConfiguration.Graph) -> Void = { _ in }) -> TestServer.Configure {
        { config in
            config.graph.mailboxes = mailboxes
            adjust(&config.graph)
        }
    }

    static func run(
        _ database: TestDatabase, graph: FakeGraph, settings: @escaping TestServer.Configure = mailboxes, databaseConfig: MailHookConfiguration.Database? = nil,
        port: Int? = nil, publicPort: Int? = nil, now: @escaping @Sendable () -> Date = { Date() }, _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        try await TestServer.run(
            database: database, configure: settings, now: now, databaseConfig: databaseConfig, graph: graph, port: port, publicPort: publicPort
        ) { server in
            // Start from a settled server: subscribed and the startup delta round done.
            try await server.graphSyncStarted()
            try await body(server)
        }
    }

    @Test("create for 2 mailboxes: validated by Graph's callback, idempotent, and each clientState verifies only its own (SQLite)")
    func createAndReuseSQLite() async throws { try await createAndReuse(.sqlite) }

    @Test("create for 2 mailboxes: validated by Graph's callback, idempotent, and each clientState verifies only its own (PostgreSQL)", .postgres)
    func createAndReusePostgres() async throws { try await createAndReuse(.postgres) }

    func createAndReuse(_ database: TestDatabase) async throws {
        try await FakeGraph.with { graph in
            try await Self.run(database, graph: graph) { server in
                let manager = try #require(server.application.subscriptions)
                #expect(graph.subscriptions.count == 2)
                let again = try await manager.ensureAll()
                #expect(Set(again.values) == [.reused])
                #expect(graph.subscriptions.count == 2)
                #expect(graph.calls(matching: "POST", pathPrefix: "/v1.0/subscriptions").filter { $0.status == 201 }.count == 2)
                #expect(graph.validations.count == 4, "notification and lifecycle URLs validated for each")
                #expect(graph.validations.allSatisfy { $0.succeeded })
                #expect(graph.subscriptions.allSatisfy { $0.immutableIds && $0.notificationUrl == server.baseURL + "/webhooks/graph" })
                #expect(graph.subscriptions.allSatisfy { ($0.clientState?.count ?? 0) >= 43 && ($0.clientState?.count ?? 999) <= 128 })

                let subs = graph.subscriptions
                let alice = try #require(subs.first { $0.resource.contains("alice") })
                let bob = try #require(subs.first { $0.resource.contains("bob") })
                let aliceMessage = graph.addMessage(mailbox: "alice@example.com", .init(subject: "hi"))
                #expect(try await graph.notify(subscriptionId: alice.id, messageId: aliceMessage) == 202)
                // Bob's subscription id with Alice's clientState: refused (and still answered 202).
                let swapped = Samples.batch([Samples.graphItem(subscriptionId: bob.id, clientState: alice.clientState ?? "", messageId: "AAMk-x")])
                    .replacingOccurrences(of: "c0ffee00-0000-4000-8000-0000000000bb", with: "tenant-1")
                #expect(try await server.post("/webhooks/graph", body: swapped).status == 202)
                let rows = try await server.store.inboxRows(limit: 10).filter { $0.kind == .graphNotification }
                #expect(rows.count == 1)
                #expect(rows.first?.subscriptionId == alice.id)
                #expect(rows.first?.messageKey == NewInboxItem.messageKey(mailboxId: graph.mailboxId("alice@example.com"), messageId: aliceMessage))
                #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="client_state_mismatch"}"#) == 1)
            }
        }
    }

    @Test("a restart reuses the subscriptions (no 409, no duplicate) (SQLite)")
    func restartReusesSQLite() async throws { try await restartReuses(.sqlite) }

    @Test("a restart reuses the subscriptions (no 409, no duplicate) (PostgreSQL)", .postgres)
    func restartReusesPostgres() async throws { try await restartReuses(.postgres) }

    func restartReuses(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        let port = try freePort()
        try await FakeGraph.with { graph in
            try await Self.run(database, graph: graph, databaseConfig: db, port: port) { _ in
                #expect(graph.subscriptions.count == 2)
            }
            try await Self.run(database, graph: graph, databaseConfig: db, port: port) { server in
                let outcomes = try #require(try await server.application.subscriptions?.ensureAll())
                #expect(Set(outcomes.values) == [.reused])
            }
            #expect(graph.subscriptions.count == 2)
            #expect(graph.calls.filter { $0.status == 409 }.isEmpty)
        }
    }

    @Test("the timer keeps a subscription alive across 3 renewals; one deleted at Graph is recreated and caught up (SQLite)")
    func renewalsSQLite() async throws { try await renewals(.sqlite) }

    @Test("the timer keeps a subscription alive across 3 renewals; one deleted at Graph is recreated and caught up (PostgreSQL)", .postgres)
    func renewalsPostgres() async throws { try await renewals(.postgres) }

    func renewals(_ database: TestDatabase) async throws {
        let clock = VirtualClock()
        try await FakeGraph.with { graph in
            let settings = Self.settings(["alice@example.com"]) { $0.subscriptionMinutes = 60; $0.renewBeforeMinutes = 50; $0.renewIntervalSeconds = 1 }
            try await Self.run(database, graph: graph, settings: settings, now: clock.now) { server in
                let first = try #require(graph.subscriptions.first)
                for n in 1...3 {
                    clock.advance(minutes: 15)
                    graph.advanceTime(by: 15 * 60)
                    try await eventually { graph.calls(matching: "PATCH", pathPrefix: "/v1.0/subscriptions/").filter { $0.status == 200 }.count == n }
                }
                #expect(graph.subscriptions.map(\.id) == [first.id], "the same subscription, renewed")
                let patches = graph.calls(matching: "PATCH", pathPrefix: "/v1.0/subscriptions/")
                #expect(patches.count == 3, "one PATCH per renewal")
                try await eventually { server.metric("mailhook_subscription_renewals_total") == 3 }

                // Graph deletes it; the next due renewal finds 404, recreates and runs a delta round.
                graph.removeSubscription(id: first.id)
                let deltasBefore = graph.calls.filter { $0.path.hasSuffix("/delta") }.count
                clock.advance(minutes: 15)
                graph.advanceTime(by: 15 * 60)
                try await eventually { graph.subscriptions.count == 1 && graph.subscriptions[0].id != first.id }
                try await eventually { graph.calls.filter { $0.path.hasSuffix("/delta") }.count > deltasBefore }
                let rows = try await server.store.subscriptionRows()
                #expect(rows.filter { $0.status == .active }.map(\.subscriptionId) == [graph.subscriptions[0].id])
            }
        }
    }

    @Test("lifecycle events produce exactly the documented calls (SQLite)")
    func lifecycleEventsSQLite() async throws { try await lifecycleEvents(.sqlite) }

    @Test("lifecycle events produce exactly the documented calls (PostgreSQL)", .postgres)
    func lifecycleEventsPostgres() async throws { try await lifecycleEvents(.postgres) }

    func lifecycleEvents(_ database: TestDatabase) async throws {
        try await FakeGraph.with { graph in
            try await Self.run(database, graph: graph, settings: Self.settings(["alice@example.com"])) { server in
                let subscription = try #require(graph.subscriptions.first)
                graph.resetCalls()

                // reauthorizationRequired → one PATCH; a second one within 10 minutes → nothing more.
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: "reauthorizationRequired") == 202)
                try await eventually { try await Self.settled(server) }
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: "reauthorizationRequired") >= 200)
                try await eventually { try await Self.settled(server) }
                #expect(graph.calls(matching: "PATCH", pathPrefix: "/v1.0/subscriptions/").count == 1)
                #expect(graph.calls(matching: "POST", pathPrefix: "/v1.0/subscriptions/").isEmpty, "no reauthorize next to the PATCH")
                #expect(graph.calls.filter { $0.path.hasSuffix("/delta") }.isEmpty)

                // missed → a delta round, nothing else.
                graph.resetCalls()
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: "missed") == 202)
                try await eventually { try await Self.settled(server) && graph.calls.contains { $0.path.hasSuffix("/delta") } }
                #expect(graph.calls.allSatisfy { $0.path.hasSuffix("/delta") })

                // subscriptionRemoved → a new subscription, then a delta round.
                graph.resetCalls()
                graph.removeSubscription(id: subscription.id)
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: "subscriptionRemoved") == 202)
                try await eventually { try await Self.settled(server) && graph.calls.contains { $0.path.hasSuffix("/delta") } }
                let calls = graph.calls.map { "\($0.method) \($0.path.hasSuffix("/delta") ? "delta" : $0.path)" }
                #expect(calls.filter { $0 == "POST /v1.0/subscriptions" }.count == 1)
                #expect(calls.firstIndex(of: "POST /v1.0/subscriptions")! < calls.firstIndex(of: "GET delta")!)
                #expect(graph.subscriptions.count == 1 && graph.subscriptions[0].id != subscription.id)
            }
        }
    }

    @Test("catch-up: 50 messages that arrived while stopped reach the inbox once; notifications for 10 add nothing; 410 resyncs without duplicates (SQLite)")
    func catchUpSQLite() async throws { try await catchUp(.sqlite) }

    @Test("catch-up: 50 messages that arrived while stopped reach the inbox once; notifications for 10 add nothing; 410 resyncs without duplicates (PostgreSQL)", .postgres)
    func catchUpPostgres() async throws { try await catchUp(.postgres) }

    func catchUp(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        let port = try freePort()
        try await FakeGraph.with { graph in
            let settings = Self.settings(["alice@example.com"])
            // First run: subscribe and set the delta baseline.
            try await Self.run(database, graph: graph, settings: settings, databaseConfig: db, port: port) { server in
                let state = try await server.store.deltaState(mailbox: "alice@example.com", folder: "Inbox")
                #expect(state?.deltaLink != nil)
            }
            // While stopped: 50 messages arrive (no notifications: nobody listens).
            let ids = (0..<50).map { graph.addMessage(mailbox: "alice@example.com", .init(subject: "while away \($0)")) }
            try await Self.run(database, graph: graph, settings: settings, databaseConfig: db, port: port) { server in
                #expect(try await server.store.inboxRows(limit: 1000).count == 50)
                let subscription = try #require(graph.subscriptions.first)
                for id in ids.prefix(10) { #expect(try await graph.notify(subscriptionId: subscription.id, messageId: id) == 202) }
                #expect(try await server.store.inboxRows(limit: 1000).count == 50)
                #expect(server.metric(#"mailhook_notifications_total{source="graph",outcome="duplicate"}"#) == 10)

                // The stored token is gone at Graph: full resync, still no duplicates; a new message is found.
                graph.invalidateDeltaTokens()
                let late = graph.addMessage(mailbox: "alice@example.com", .init(subject: "after the resync"))
                let result = try await server.application.subscriptions?.delta.sync(mailbox: "alice@example.com", mailboxId: nil)
                #expect(result?.resynced == true)
                let rows = try await server.store.inboxRows(limit: 1000)
                #expect(rows.count == 51)
                #expect(Set(rows.compactMap(\.messageKey)).count == 51)
                #expect(rows.contains { $0.messageKey?.hasSuffix("|" + late) == true })
            }
        }
    }

    @Test("two replicas on one PostgreSQL database renew each due subscription once", .postgres)
    func twoReplicasPostgres() async throws { try await twoReplicas(.postgres) }

    func twoReplicas(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        // Behind one load balancer the replicas share a public URL; here the first replica's
        // port stands for it (the second only answers what reaches it directly).
        let port = try freePort()
        let secondPort = try freePort()
        let clock = VirtualClock()
        try await FakeGraph.with { graph in
            let settings = Self.settings(["alice@example.com", "bob@example.com"]) { $0.subscriptionMinutes = 60; $0.renewBeforeMinutes = 50; $0.renewIntervalSeconds = 3600 }
            try await Self.run(database, graph: graph, settings: settings, databaseConfig: db, port: port, now: clock.now) { first in
                try await Self.run(database, graph: graph, settings: settings, databaseConfig: db, port: secondPort, publicPort: port, now: clock.now) { second in
                    #expect(graph.subscriptions.count == 2, "the second replica reused them")
                    for round in 1...3 {
                        clock.advance(minutes: 15)
                        graph.advanceTime(by: 15 * 60)
                        let a = try #require(first.application.graphSync)
                        let b = try #require(second.application.graphSync)
                        async let x: Void = a.renewRound()
                        async let y: Void = b.renewRound()
                        _ = await (x, y)
                        // Rounds that lost the lock skip; the next one may see the subscription renewed already.
                        await a.renewRound()
                        await b.renewRound()
                        #expect(graph.calls(matching: "PATCH", pathPrefix: "/v1.0/subscriptions/").count == 2 * round)
                    }
                }
            }
        }
    }

    @Test("fetch: notified and delta-found messages are fetched and stored once; gone, own and draft mail is not processed (SQLite)")
    func fetchingSQLite() async throws { try await fetching(.sqlite) }

    @Test("fetch: notified and delta-found messages are fetched and stored once; gone, own and draft mail is not processed (PostgreSQL)", .postgres)
    func fetchingPostgres() async throws { try await fetching(.postgres) }

    func fetching(_ database: TestDatabase) async throws {
        try await FakeGraph.with { graph in
            try await Self.run(database, graph: graph, settings: Self.settings(["alice@example.com"])) { server in
                let subscription = try #require(graph.subscriptions.first)
                let inbound = graph.addMessage(mailbox: "alice@example.com", .init(
                    subject: "VPN drops every hour &amp; more", fromAddress: "carol@example.com", body: "Since Monday&nbsp;the VPN drops."))
                let own = graph.addMessage(mailbox: "alice@example.com", .init(subject: "Re: VPN", fromAddress: "alice@example.com"))
                let draft = graph.addMessage(mailbox: "alice@example.com", .init(subject: "draft", fromAddress: "dan@example.com", isDraft: true))
                let deleted = graph.addMessage(mailbox: "alice@example.com", .init(subject: "soon gone", fromAddress: "erin@example.com"))
                graph.deleteMessage(mailbox: "alice@example.com", id: deleted)
                for id in [inbound, own, draft, deleted] { #expect(try await graph.notify(subscriptionId: subscription.id, messageId: id) == 202) }
                // The same message found again by a delta round adds nothing.
                _ = try await server.application.subscriptions?.delta.sync(mailbox: "alice@example.com", mailboxId: nil)
                try await eventually { try await Self.settled(server) }
                let rows = try await server.store.inboxRows(limit: 100).filter { $0.kind != .graphLifecycle }
                let status = Dictionary(uniqueKeysWithValues: rows.compactMap { row in row.messageKey.map { ($0.components(separatedBy: "|").last!, row.status) } })
                #expect(status[inbound] == .completed)
                #expect(status[own] == .ignored)
                #expect(status[draft] == .ignored)
                #expect(status[deleted] == .gone)
                #expect(rows.count == 4, "one row per message, whether notified or found by delta")
                let emails = try await server.store.emails(limit: 10)
                #expect(emails.map(\.id) == [inbound])
                #expect(emails.first?.subject == "VPN drops every hour & more")
                #expect(emails.first?.body == "Since Monday the VPN drops.")
                #expect(emails.first?.senderEmail == "carol@example.com")
                #expect(emails.first?.processingStatus == .completed, "the pipeline classified and routed it (dry-run)")
            }
        }
    }

    @Test("a tenant that refuses the configured lifetime: create and renew clamp to what Graph allows", arguments: [TestDatabase.sqlite])
    func expiryClamp(database: TestDatabase) async throws {
        let clock = VirtualClock()
        try await FakeGraph.with { graph in
            graph.maxSubscriptionMinutes = 4230
            let settings = Self.settings(["alice@example.com"]) { $0.subscriptionMinutes = 10080; $0.renewBeforeMinutes = 4300 }
            try await Self.run(database, graph: graph, settings: settings, now: clock.now) { server in
                let subscription = try #require(graph.subscriptions.first)
                let lifetime = subscription.expirationDateTime.timeIntervalSince(graph.now) / 60
                #expect(lifetime > 4200 && lifetime <= 4230, "clamped to \(lifetime) minutes")
                #expect(graph.calls.filter { $0.status == 400 }.count == 1)
                await server.application.graphSync?.renewRound()
                let renewed = graph.calls(matching: "PATCH", pathPrefix: "/v1.0/subscriptions/")
                #expect(renewed.map(\.status) == [400, 200])
            }
        }
    }

    /// No inbox row is waiting or in progress.
    static func settled(_ server: TestServer) async throws -> Bool {
        try await server.store.inboxRows(limit: 1000).allSatisfy { $0.status != .pending && $0.status != .processing }
    }
}

/// A wall clock the test moves forward.
final class VirtualClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: @Sendable () -> Date { { [self] in Date().addingTimeInterval(self.offset.withLock { $0 }) } }
    func advance(minutes: Double) { offset.withLock { $0 += minutes * 60 } }
}

@Suite("Graph secrets")
struct GraphSecretsTests {
    @Test("client secret, access tokens and clientStates never reach logs or CLI output")
    func secretsStayOut() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "mailhook", factory: { _ in handler })
        logger.logLevel = .trace
        let secret = "graph-client-secret-7q8w9e"
        try await FakeGraph.with(clientSecret: secret) { graph in
            let port = try freePort()
            let settings: TestServer.Configure = { $0.graph.mailboxes = ["alice@example.com"] }
            let states = try await TestServer.run(database: .sqlite, configure: settings, logger: logger, graph: graph, port: port) { server in
                try await server.graphSyncStarted()
                let subscription = try #require(graph.subscriptions.first)
                let id = graph.addMessage(mailbox: "alice@example.com", .init(subject: "hello", fromAddress: "bob@example.com"))
                _ = try await graph.notify(subscriptionId: subscription.id, messageId: id)
                _ = try await graph.sendLifecycle(subscriptionId: subscription.id, event: "missed")
                graph.expireTokens()
                _ = try await graph.sendLifecycle(subscriptionId: subscription.id, event: "reauthorizationRequired")
                try await eventually { try await GraphSyncTests.settled(server) }
                return graph.subscriptions.compactMap(\.clientState)
            }
            #expect(!states.isEmpty)
            #expect(graph.tokenRequestCount >= 2)
            let tokens = (1...graph.tokenRequestCount + 1).map { "fake-token-\($0)" }
            let logText = handler.entries.map { "\($0.message) \($0.metadata) \(String(describing: $0.error))" }.joined(separator: "\n")
            #expect(handler.entries.count > 5)
            for value in [secret] + states + tokens {
                #expect(!logText.contains(value), "a log line contains \(value.prefix(10))…")
            }
        }
    }
}
