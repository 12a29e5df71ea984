import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Synchronization
import NIOHTTP1
import Testing

@Suite("Graph webhooks")
struct GraphWebhookTests {
    static let tokens: [String] = [
        "Validation: Testing client application reachability for subscription Request-Id: 11111111-2222-3333-4444-555555555555",
        "a+b plus signs + spaces",
        "literal %2B and %3A stay as text",
        "colon:separated:value",
        "non-ASCII: café, Grüße, 日本語, emoji 📬",
        String(repeating: "0123456789abcdef", count: 64),  // 1 KB
    ]

    @Test("validation tokens round-trip exactly on both Graph URLs (SQLite)")
    func validationTokensSQLite() async throws { try await validationTokens(.sqlite) }

    @Test("validation tokens round-trip exactly on both Graph URLs (PostgreSQL)", .postgres)
    func validationTokensPostgres() async throws { try await validationTokens(.postgres) }

    func validationTokens(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            for path in ["/webhooks/graph", "/webhooks/graph/lifecycle"] {
                for token in Self.tokens {
                    let reply = try await server.post(
                        "\(path)?validationToken=\(Signing.formEncode(token))", body: "",
                        headers: [("Content-Type", "text/plain; charset=utf-8")])
                    #expect(reply.status == 200)
                    #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
                    #expect(reply.body == token, "token \(token.prefix(40)) on \(path)")
                }
            }
            // Raw encodings a sender may use: %20 and + for space, %2B for a literal plus, %3A for a colon.
            let raw = try await server.post("/webhooks/graph?validationToken=a%20b+c%2Bd%3Ae", body: "", headers: [("Content-Type", "text/plain")])
            #expect(raw.body == "a b c+d:e")
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a validation token with markup or broken encoding is refused", arguments: [TestDatabase.sqlite])
    func badValidationTokens(database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            let markup = try await server.post("/webhooks/graph?validationToken=%3Cscript%3E", body: "", headers: [("Content-Type", "text/plain")])
            #expect(markup.status == 400)
            let broken = try await server.post("/webhooks/graph?validationToken=%E0%A4", body: "", headers: [("Content-Type", "text/plain")])
            #expect(broken.status == 400)
        }
    }

    @Test("a batch of 3 with a wrong clientState and a duplicate stores exactly the right rows (SQLite)")
    func batchWithBadAndDuplicateItemsSQLite() async throws { try await batchWithBadAndDuplicateItems(.sqlite) }

    @Test("a batch of 3 with a wrong clientState and a duplicate stores exactly the right rows (PostgreSQL)", .postgres)
    func batchWithBadAndDuplicateItemsPostgres() async throws { try await batchWithBadAndDuplicateItems(.postgres) }

    func batchWithBadAndDuplicateItems(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: "11111111-1111-4111-8111-111111111111", resource: "users/u1/mailFolders('Inbox')/messages", mailbox: Samples.mailboxId,
                clientState: "state-of-sub-1", expiration: Date().addingTimeInterval(3600), status: .active))

            let first = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "state-of-sub-1", messageId: "AAMk-1"),
            ]))
            #expect(first.status == 202)

            let reply = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "state-of-sub-1", messageId: "AAMk-2"),
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "not-the-state", messageId: "AAMk-3"),
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "state-of-sub-1", messageId: "AAMk-1"),
            ]))
            #expect(reply.status == 202)

            let rows = try await server.store.inboxRows(limit: 10)
            #expect(rows.map(\.dedupeKey) == ["graph|11111111-1111-4111-8111-111111111111|AAMk-1|created", "graph|11111111-1111-4111-8111-111111111111|AAMk-2|created"])
            #expect(rows.allSatisfy { $0.kind == .graphNotification && $0.status == .pending && $0.subscriptionId == "11111111-1111-4111-8111-111111111111" })
            let payload = try JSONValue.parse(Array(rows[1].payload.utf8))
            #expect(payload["resourceData"]?["id"]?.stringValue == "AAMk-2")

            #expect(server.metric(#"mailhook_notifications_total{source="graph",outcome="accepted"}"#) == 2)
            #expect(server.metric(#"mailhook_notifications_total{source="graph",outcome="duplicate"}"#) == 1)
            #expect(server.metric(#"mailhook_notifications_total{source="graph",outcome="rejected"}"#) == 1)
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="client_state_mismatch"}"#) == 1)
            let exposed = try await server.get("/metrics")
            #expect(exposed.body.contains(#"mailhook_notifications_total{source="graph",outcome="duplicate"} 1"#))
            #expect(exposed.body.contains("mailhook_inbox_depth 2"))
        }
    }

    @Test("lifecycle notifications are stored as their own kind, on either URL (SQLite)")
    func lifecycleItemsSQLite() async throws { try await lifecycleItems(.sqlite) }

    @Test("lifecycle notifications are stored as their own kind, on either URL (PostgreSQL)", .postgres)
    func lifecycleItemsPostgres() async throws { try await lifecycleItems(.postgres) }

    func lifecycleItems(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: "99999999-9999-4999-8999-999999999999", resource: "users/u9/mailFolders('Inbox')/messages", mailbox: Samples.mailboxId,
                clientState: "cs-9", expiration: nil, status: .active))
            let reply = try await server.post("/webhooks/graph/lifecycle", body: Samples.batch([
                Samples.lifecycleItem(subscriptionId: "99999999-9999-4999-8999-999999999999", clientState: "cs-9", event: "reauthorizationRequired"),
                Samples.lifecycleItem(subscriptionId: "99999999-9999-4999-8999-999999999999", clientState: "cs-9", event: "missed"),
                Samples.lifecycleItem(subscriptionId: "99999999-9999-4999-8999-999999999999", clientState: "wrong", event: "subscriptionRemoved"),
            ]))
            #expect(reply.status == 202)
            // Graph's retry of a reauthorizationRequired collapses; a second `missed` is kept (it may
            // come after the first one's round finished).
            let again = try await server.post("/webhooks/graph/lifecycle", body: Samples.batch([
                Samples.lifecycleItem(subscriptionId: "99999999-9999-4999-8999-999999999999", clientState: "cs-9", event: "reauthorizationRequired"),
                Samples.lifecycleItem(subscriptionId: "99999999-9999-4999-8999-999999999999", clientState: "cs-9", event: "missed"),
            ]))
            #expect(again.status == 202)
            let rows = try await server.store.inboxRows(limit: 10)
            #expect(rows.count == 3)
            #expect(rows.allSatisfy { $0.kind == .graphLifecycle })
            #expect(rows.map { (try? JSONValue.parse(Array($0.payload.utf8)))?["lifecycleEvent"]?.stringValue } == ["reauthorizationRequired", "missed", "missed"])
            #expect(server.metric(#"mailhook_notifications_total{source="graph-lifecycle",outcome="duplicate"}"#) == 1)
            #expect(server.metric(#"mailhook_rejections_total{source="graph-lifecycle",reason="client_state_mismatch"}"#) == 1)
        }
    }

    @Test("unknown subscriptions verify against pending creates and, for listed external subscriptions, the static clientState (SQLite)")
    func unknownSubscriptionsSQLite() async throws { try await unknownSubscriptions(.sqlite) }

    @Test("unknown subscriptions verify against pending creates and, for listed external subscriptions, the static clientState (PostgreSQL)", .postgres)
    func unknownSubscriptionsPostgres() async throws { try await unknownSubscriptions(.postgres) }

    func unknownSubscriptions(_ database: TestDatabase) async throws {
        let configure: TestServer.Configure = {
            $0.graph.clientState = Secret("static-state-for-external-subscriptions")
            $0.graph.externalSubscriptions = [.init(id: "eeeeeeee-0000-4000-8000-00000000000e", mailbox: Samples.mailboxId)]
        }
        try await TestServer.run(database: database, configure: configure) { server in
            // A create in flight: the clientState is stored before Graph knows the subscription.
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: nil, resource: "users/u2/mailFolders('Inbox')/messages", mailbox: Samples.mailboxId,
                clientState: "pending-state", expiration: nil, status: .pending))
            let reply = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "aaaaaaaa-0000-4000-8000-00000000000a", clientState: "pending-state", messageId: "m1"),
                Samples.graphItem(subscriptionId: "eeeeeeee-0000-4000-8000-00000000000e", clientState: "static-state-for-external-subscriptions", messageId: "m2"),
                Samples.graphItem(subscriptionId: "55555555-0000-4000-8000-000000000005", clientState: "guess", messageId: "m3"),
                #"{"subscriptionId":"00000000-0000-4000-8000-000000000000","changeType":"created","resourceData":{"id":"m4"}}"#,
            ]))
            #expect(reply.status == 202)
            #expect(try await server.store.inboxRows(limit: 10).map(\.subscriptionId) == ["aaaaaaaa-0000-4000-8000-00000000000a", "eeeeeeee-0000-4000-8000-00000000000e"])
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="unknown_subscription"}"#) == 1)
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="missing_client_state"}"#) == 1)
        }
    }

    @Test("items from another tenant are dropped when graph.tenantId is the tenant's GUID", arguments: [TestDatabase.sqlite])
    func tenantCheck(database: TestDatabase) async throws {
        let graph = MailHookConfiguration.Graph(
            tenantId: "C0FFEE00-0000-4000-8000-0000000000BB", clientId: "app", clientSecret: Secret("s"), authorityHost: "http://127.0.0.1:9",
            baseUrl: "http://127.0.0.1:9/v1.0", clientState: Secret("shared-state"))
        try await TestServer.run(database: database, configure: { $0.graph = graph }) { server in
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: "51515151-0000-4000-8000-000000000001", resource: "r", mailbox: Samples.mailboxId, clientState: "shared-state",
                expiration: nil, status: .active))
            let ours = Samples.graphItem(subscriptionId: "51515151-0000-4000-8000-000000000001", clientState: "shared-state", messageId: "m1")
            let theirs = ours.replacingOccurrences(of: "c0ffee00-0000-4000-8000-0000000000bb", with: "deadbeef-0000-4000-8000-000000000000")
                .replacingOccurrences(of: "m1", with: "m2")
            let reply = try await server.post("/webhooks/graph", body: Samples.batch([ours, theirs]))
            #expect(reply.status == 202)
            let keys = try await server.store.inboxRows(limit: 10).map(\.dedupeKey)
            #expect(keys == ["graph|51515151-0000-4000-8000-000000000001|m1|created"])
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="tenant_mismatch"}"#) == 1)
        }
    }

    @Test("bad input gets a 4xx with a reason, stores nothing, and the server keeps serving (SQLite)")
    func badInputSQLite() async throws { try await badInput(.sqlite) }

    @Test("bad input gets a 4xx with a reason, stores nothing, and the server keeps serving (PostgreSQL)", .postgres)
    func badInputPostgres() async throws { try await badInput(.postgres) }

    func badInput(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            let json = [("Content-Type", "application/json")]
            let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
            let cases: [(String, [UInt8], [(String, String)], Int, String)] = [
                ("malformed JSON", Array(#"{"value": [ {"#.utf8), json, 400, "not valid JSON"),
                ("wrong content type", Array(Samples.batch([]).utf8), [("Content-Type", "text/plain")], 415, "application/json"),
                ("no content type", Array(Samples.batch([]).utf8), [], 415, "application/json"),
                ("empty body", [], json, 400, "empty"),
                ("nested 10,000 deep", Array(("{\"value\":" + deep + "}").utf8), json, 400, "nests deeper"),
                ("invalid UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], json, 400, "UTF-8"),
                ("value not an array", Array(#"{"value": {"subscriptionId": "x"}}"#.utf8), json, 400, "must be an array"),
                ("no value", Array(#"{"values": []}"#.utf8), json, 400, "has no"),
                ("not an object", Array("[1,2,3]".utf8), json, 400, "JSON object"),
            ]
            for (name, body, headers, status, reason) in cases {
                let reply = try await server.post("/webhooks/graph", body: body, headers: headers)
                #expect(reply.status == status, "\(name)")
                #expect(reply.body.contains(reason), "\(name): \(reply.body)")
                #expect(try await server.get("/health").status == 200, "still serving after \(name)")
            }
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("oversize bodies get 413 and are cut off without being read in full (SQLite)")
    func oversizeBodiesSQLite() async throws { try await oversizeBodies(.sqlite) }

    @Test("oversize bodies get 413 and are cut off without being read in full (PostgreSQL)", .postgres)
    func oversizeBodiesPostgres() async throws { try await oversizeBodies(.postgres) }

    func oversizeBodies(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database) { server in
            // Declared 100 MB: refused from the headers, long before 100 MB could be sent.
            let declared = try await RawHTTPClient.upload(port: server.port, path: "/webhooks/graph", bodySize: 100 << 20, chunked: false)
            #expect(declared.status == 413)
            #expect(declared.body.contains("exceeds 1048576 bytes"))
            #expect(declared.bytesSentBeforeClose < 100 << 20)
            // 100 MB with no declared length: reading stops at the limit and the connection is closed.
            let streamed = try await RawHTTPClient.upload(port: server.port, path: "/webhooks/graph", bodySize: 100 << 20, chunked: true)
            #expect(streamed.status == 413)
            #expect(streamed.bytesSentBeforeClose < 100 << 20)
            #expect(try await server.get("/health").status == 200)
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a body that stalls is answered 408 after server.requestTimeoutSeconds", arguments: [TestDatabase.sqlite])
    func stalledBody(database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: { $0.server.requestTimeoutSeconds = 1 }) { server in
            let started = ContinuousClock.now
            let answer = try await RawHTTPClient.upload(port: server.port, path: "/webhooks/graph", bodySize: 1000, chunked: false, stopAfter: 10)
            #expect(answer.status == 408)
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await server.get("/health").status == 200)
        }
    }

    @Test("a store outage answers 503 so Graph retries, and nothing is half-stored (SQLite)")
    func storeOutageSQLite() async throws { try await storeOutage(.sqlite) }

    @Test("a store outage answers 503 so Graph retries, and nothing is half-stored (PostgreSQL)", .postgres)
    func storeOutagePostgres() async throws { try await storeOutage(.postgres) }

    func storeOutage(_ database: TestDatabase) async throws {
        let faulty = FaultyDatabaseBox()
        try await TestServer.run(database: database, wrapDatabase: { faulty.wrap($0) }) { server in
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: "11111111-1111-4111-8111-111111111111", resource: "r", mailbox: Samples.mailboxId, clientState: "cs", expiration: nil, status: .active))
            faulty.database?.setFailing(true)
            let reply = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "cs", messageId: "m1"),
            ]))
            #expect(reply.status == 503)
            #expect(try await server.get("/ready").status == 503)
            faulty.database?.setFailing(false)
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
            #expect(try await server.get("/ready").status == 200)
            let retry = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "11111111-1111-4111-8111-111111111111", clientState: "cs", messageId: "m1"),
            ]))
            #expect(retry.status == 202)
            #expect(try await server.store.inboxRows(limit: 10).count == 1)
        }
    }
}
