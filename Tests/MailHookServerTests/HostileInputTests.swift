import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// Hostile input at the door: nothing a request carries can crash, stall or steer MailHook.
@Suite("Hostile input")
struct HostileInputTests {
    static let hmacSecret = "helpdesk-signing-secret-0123456789"
    static let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let tokenA = "endpoint-a-bearer-token-0001"
    static let tokenB = "endpoint-b-bearer-token-0002"

    static let integrations = """
        {"webhook_endpoints": [
          {"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "hmac_sha256", "secret": "\(hmacSecret)"}},
          {"name": "relay", "url": "/webhooks/relay", "authentication": {"type": "standard_webhooks", "secret": "\(whsec)"}},
          {"name": "a", "url": "/webhooks/a", "authentication": {"type": "bearer_token", "token": "\(tokenA)"}, "mailboxes": ["it@contoso.example"]},
          {"name": "b", "url": "/webhooks/b", "authentication": {"type": "bearer_token", "token": "\(tokenB)"}}
        ]}
        """

    static func run(_ database: TestDatabase, configure: TestServer.Configure = { _ in }, wrapDatabase: @escaping @Sendable (any SQLDatabase) -> any SQLDatabase = { $0 },
                    _ body: @Sendable (TestServer) async throws -> Void) async throws {
        try await TestServer.run(database: database, configure: configure, integrationsJSON: integrations, wrapDatabase: wrapDatabase, body)
    }

    static let json = ("Content-Type", "application/json")

    // MARK: Arithmetic that cannot trap

    @Test("Standard Webhooks timestamps: int64 min, 13 digits, negative, signed, padded, non-numeric → 401, and the server keeps serving (SQLite)")
    func timestampsSQLite() async throws { try await timestamps(.sqlite) }

    @Test("Standard Webhooks timestamps: int64 min, 13 digits, negative, signed, padded, non-numeric → 401, and the server keeps serving (PostgreSQL)", .postgres)
    func timestampsPostgres() async throws { try await timestamps(.postgres) }

    func timestamps(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            let body = Samples.canonicalEvent(id: "evt_ts")
            for timestamp in ["-9223372036854775808", "9223372036854775807", "1234567890123", "-5", "+1700000000", " 1700000000", "abc", ""] {
                let reply = try await server.post("/webhooks/relay", body: body, headers: [
                    Self.json, ("webhook-id", "msg_1"), ("webhook-timestamp", timestamp), ("webhook-signature", "v1,AAAA"),
                ])
                #expect(reply.status == 401, "timestamp \(timestamp)")
                #expect(try await server.get("/health").status == 200)
            }
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("an IMAP-bridge uid of 1e19, -1, 1.5, 0 or \"abc\" → 400 naming event.uid; 42 and \"42\" are accepted (SQLite)")
    func bridgeUIDsSQLite() async throws { try await bridgeUIDs(.sqlite) }

    @Test("an IMAP-bridge uid of 1e19, -1, 1.5, 0 or \"abc\" → 400 naming event.uid; 42 and \"42\" are accepted (PostgreSQL)", .postgres)
    func bridgeUIDsPostgres() async throws { try await bridgeUIDs(.postgres) }

    func bridgeUIDs(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            func post(_ uid: String) async throws -> TestServer.Reply {
                let body = #"{"event":{"type":"new_message","uid":\#(uid),"subject":"Printer","sender":"bob@contoso.example","email_content":{"plain_body":"jammed"}},"webhook_config":{}}"#
                return try await server.post("/webhooks/email", body: body, headers: [Self.json, Signing.hmacHeader(body, secret: Self.hmacSecret)])
            }
            for uid in ["1e19", "-1", "1.5", "0", #""abc""#, #""-3""#, "18446744073709551616"] {
                let reply = try await post(uid)
                #expect(reply.status == 400, "uid \(uid)")
                #expect((reply.json?["reason"] as? String)?.hasPrefix("event.uid") == true, "uid \(uid): \(reply.body)")
            }
            #expect(try await post("42").status == 202)
            #expect(try await post(#""43""#).status == 202)
            #expect(try await server.store.inboxRows(limit: 10).count == 2)
        }
    }

    // MARK: Bounded work before authentication

    @Test("1,500 signature entries over a 1 MiB body → 401 before any MAC is computed (a head that large is refused anyway by default)")
    func signatureFlood() async throws {
        // The default head limit (16 KiB) refuses such a header outright; raised here to reach the signature check.
        try await Self.run(.sqlite, configure: { $0.server.maxHeaderBytes = 256 << 10 }) { server in
            let body = String(repeating: " ", count: (1 << 20) - 64)
            let entries = Array(repeating: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", count: 1500).joined(separator: " ")
            let reply = try await server.post("/webhooks/relay", body: body, headers: [
                Self.json, ("webhook-id", "msg_flood"), ("webhook-timestamp", String(Int(Date().timeIntervalSince1970))), ("webhook-signature", entries),
            ])
            #expect(reply.status == 401)
            #expect(server.metric(#"mailhook_rejections_total{source="relay",reason="malformed_credentials"}"#) == 1)
        }
    }

    @Test("a flood of unknown subscription ids costs at most one database read (SQLite)")
    func unknownIdsSQLite() async throws { try await unknownIds(.sqlite) }

    @Test("a flood of unknown subscription ids costs at most one database read (PostgreSQL)", .postgres)
    func unknownIdsPostgres() async throws { try await unknownIds(.postgres) }

    func unknownIds(_ database: TestDatabase) async throws {
        let counting = CountingDatabaseBox()
        let configure: TestServer.Configure = {
            $0.server.maxBatchItems = 10_000
            $0.server.maxBodyBytes = 16 << 20
        }
        try await Self.run(database, configure: configure, wrapDatabase: { counting.wrap($0) }) { (server: TestServer) async throws in
            let items = (0..<10_000).map { Samples.graphItem(subscriptionId: Samples.subscription($0), clientState: "guess", messageId: "m\($0)") }
            counting.database?.reset()
            #expect(try await server.post("/webhooks/graph", body: Samples.batch(items)).status == 202)
            #expect(try await server.post("/webhooks/graph", body: Samples.batch(items)).status == 202)
            // (The dispatcher's own probes for due rows read the inbox meanwhile; they are not counted.)
            #expect((counting.database?.reads(mentioning: "FROM subscriptions") ?? 99) <= 1, "reads: \(counting.database?.reads ?? -1)")
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="unknown_subscription"}"#) == 20_000)
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a flood of GET /metrics counts the inbox once (SQLite)")
    func metricsFloodSQLite() async throws { try await metricsFlood(.sqlite) }

    @Test("a flood of GET /metrics counts the inbox once (PostgreSQL)", .postgres)
    func metricsFloodPostgres() async throws { try await metricsFlood(.postgres) }

    /// `/metrics` needs no credentials and its inbox depth is a count over open rows: requests
    /// share one count, so their number does not multiply the database's work.
    func metricsFlood(_ database: TestDatabase) async throws {
        let counting = CountingDatabaseBox()
        try await Self.run(database, wrapDatabase: { counting.wrap($0) }) { (server: TestServer) async throws in
            // Rows of a kind no processor takes here, so they stay open.
            let rows = (0..<3).map { NewInboxItem(source: .graph, kind: .graphNotification, dedupeKey: "depth-\($0)", payload: "{}") }
            _ = try await server.store.insertInboxBatch([rows])
            counting.database?.reset()
            let bodies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 { group.addTask { try await server.get("/metrics").body } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(bodies.count == 50 && bodies.allSatisfy { $0.contains("\nmailhook_inbox_depth 3") }, "\(bodies.first ?? "")")
            #expect(counting.database?.reads(mentioning: "count(*) AS n FROM (SELECT 1 FROM inbox") == 1)
        }
    }

    @Test("with admin.protectMetrics, GET /metrics needs the admin token; /health does not")
    func protectedMetrics() async throws {
        let token = "metrics-admin-token-0123456789"
        try await Self.run(.sqlite, configure: { $0.admin = .init(token: Secret(token), protectMetrics: true) }) { server in
            #expect(try await server.get("/metrics").status == 401)
            #expect(try await server.get("/metrics", headers: [("Authorization", "Bearer wrong-token-0123456789")]).status == 401)
            #expect(try await server.get("/metrics", headers: [("Authorization", "Bearer \t")]).status == 401)
            let allowed = try await server.get("/metrics", headers: [("Authorization", "Bearer \(token)")])
            #expect(allowed.status == 200 && allowed.body.contains("mailhook_inbox_depth"))
            #expect(try await server.get("/health").status == 200)
        }
        // Programmatically set without a token (a file cannot say so): nobody gets in.
        try await Self.run(.sqlite, configure: { $0.admin = .init(token: nil, protectMetrics: true) }) { (server: TestServer) async throws in
            #expect(try await server.get("/metrics", headers: [("Authorization", "Bearer \t")]).status == 401)
        }
        try await Self.run(.sqlite) { (server: TestServer) async throws in
            #expect(try await server.get("/metrics").status == 200)
        }
    }

    @Test("a batch over server.maxBatchItems is refused with 400, and subscription ids must be GUIDs")
    func batchLimits() async throws {
        try await Self.run(.sqlite, configure: { $0.server.maxBatchItems = 3 }) { server in
            let items = (0..<4).map { Samples.graphItem(subscriptionId: Samples.subscription($0), clientState: "s", messageId: "m\($0)") }
            let reply = try await server.post("/webhooks/graph", body: Samples.batch(items))
            #expect(reply.status == 400)
            #expect((reply.json?["reason"] as? String)?.contains("server.maxBatchItems") == true)
            let odd = try await server.post("/webhooks/graph", body: Samples.batch([Samples.graphItem(subscriptionId: "sub-1", clientState: "s", messageId: "m")]))
            #expect(odd.status == 202)
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="malformed_subscription_id"}"#) == 1)
        }
    }

    // MARK: Remit

    static let tenantGraph = MailHookConfiguration.Graph(
        tenantId: Samples.tenantId, clientId: "app", clientSecret: Secret("s"), authorityHost: "http://127.0.0.1:9", baseUrl: "http://127.0.0.1:9/v1.0")

    @Test("foreign resource, .., absolute URL, another tenant, no tenant → dropped and counted, nothing stored (SQLite)")
    func remitSQLite() async throws { try await remit(.sqlite) }

    @Test("foreign resource, .., absolute URL, another tenant, no tenant → dropped and counted, nothing stored (PostgreSQL)", .postgres)
    func remitPostgres() async throws { try await remit(.postgres) }

    func remit(_ database: TestDatabase) async throws {
        try await Self.run(database, configure: { $0.graph = Self.tenantGraph }) { server in
            let id = Samples.subscription(1)
            try await server.store.saveSubscription(SubscriptionRecord(
                subscriptionId: id, resource: "users/it@contoso.example/messages", mailbox: Samples.mailboxId, clientState: "cs", expiration: nil, status: .active))
            let mailbox = Samples.mailboxId
            let reply = try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users/0a0a0a0a-0000-4000-8000-000000000099/Messages/m1"),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users/\(mailbox)/Messages/../../Users/x/Messages/m2"),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "https://graph.microsoft.com/v1.0/Users/\(mailbox)/Messages/m3"),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users('..')/Messages('m4')"),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users/\(mailbox)/Messages/m5", tenantId: "deadbeef-0000-4000-8000-000000000000"),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users/\(mailbox)/Messages/m6", tenantId: nil),
                Samples.graphItem(subscriptionId: id, clientState: "cs", resource: "Users/\(mailbox)/Messages/m7"),
            ]))
            #expect(reply.status == 202)
            #expect(try await server.store.inboxRows(limit: 10).map(\.dedupeKey) == ["graph|\(id)|Users/\(mailbox)/Messages/m7|created"])
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="foreign_resource"}"#) == 4)
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="tenant_mismatch"}"#) == 1)
            #expect(server.metric(#"mailhook_rejections_total{source="graph",reason="tenant_missing"}"#) == 1)
        }
    }

    @Test("duplicate member names and NUL characters are refused with 400 and a reason")
    func strictJSON() async throws {
        try await Self.run(.sqlite) { server in
            let item = Samples.graphItem(subscriptionId: Samples.subscription(1), clientState: "cs", messageId: "m1")
            let twice = try await server.post("/webhooks/graph", body: #"{"value":[],"value":[\#(item)]}"#)
            #expect(twice.status == 400)
            #expect((twice.json?["reason"] as? String)?.contains("duplicate member name \"value\"") == true)

            for body in [Samples.canonicalEvent(id: #"evt\u0000x"#), #"{"id":"e1","type":"email.received","type":"email.received","message":{"from":{"address":"a@b.example"}}}"#] {
                let reply = try await server.post("/webhooks/email", body: body, headers: [Self.json, Signing.hmacHeader(body, secret: Self.hmacSecret)])
                #expect(reply.status == 400, "\(body)")
            }
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a by-reference event may name only a monitored mailbox (SQLite)")
    func referenceRemitSQLite() async throws { try await referenceRemit(.sqlite) }

    @Test("a by-reference event may name only a monitored mailbox (PostgreSQL)", .postgres)
    func referenceRemitPostgres() async throws { try await referenceRemit(.postgres) }

    func referenceRemit(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            func post(_ path: String, token: String, mailbox: String) async throws -> TestServer.Reply {
                let body = #"{"id":"r-\#(mailbox)","type":"email.received","graph":{"mailbox":"\#(mailbox)","messageId":"AAMk1="}}"#
                return try await server.post(path, body: body, headers: [Self.json, ("Authorization", "Bearer \(token)")])
            }
            let foreign = try await post("/webhooks/a", token: Self.tokenA, mailbox: "ceo@contoso.example")
            #expect(foreign.status == 400)
            #expect((foreign.json?["reason"] as? String)?.contains("is not a monitored mailbox") == true)
            // Endpoint b has no list of its own and graph.mailboxes is empty: nothing may be named.
            #expect(try await post("/webhooks/b", token: Self.tokenB, mailbox: "it@contoso.example").status == 400)
            #expect(try await post("/webhooks/a", token: Self.tokenA, mailbox: "IT@contoso.example").status == 202)
            let traversal = #"{"id":"r-x","type":"email.received","graph":{"mailbox":"it@contoso.example","messageId":"../../me"}}"#
            #expect(try await server.post("/webhooks/a", body: traversal, headers: [Self.json, ("Authorization", "Bearer \(Self.tokenA)")]).status == 400)
            #expect(try await server.store.inboxRows(limit: 10).count == 1)
        }
    }

    @Test("the same event id on two endpoints makes two emails and two classifications (SQLite)")
    func namespacedIdsSQLite() async throws { try await namespacedIds(.sqlite) }

    @Test("the same event id on two endpoints makes two emails and two classifications (PostgreSQL)", .postgres)
    func namespacedIdsPostgres() async throws { try await namespacedIds(.postgres) }

    func namespacedIds(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            let body = Samples.canonicalEvent(id: "1")
            #expect(try await server.post("/webhooks/a", body: body, headers: [Self.json, ("Authorization", "Bearer \(Self.tokenA)")]).status == 202)
            #expect(try await server.post("/webhooks/b", body: body, headers: [Self.json, ("Authorization", "Bearer \(Self.tokenB)")]).status == 202)
            try await eventually { try await server.store.inboxRows(limit: 10).allSatisfy { $0.status == .completed } }
            #expect(Set(try await server.store.emails(limit: 10).map(\.id)) == ["a:msg-1", "b:msg-1"])
            #expect(try await server.store.tableRows(.classificationResults, limit: 10).count == 2)
        }
    }

    @Test("on an HMAC endpoint a replay with a new webhook-id header is still a duplicate")
    func unsignedWebhookId() async throws {
        try await Self.run(.sqlite) { server in
            let body = Samples.canonicalEvent(id: "evt_replay")
            let signed = Signing.hmacHeader(body, secret: Self.hmacSecret)
            #expect(try await server.post("/webhooks/email", body: body, headers: [Self.json, signed, ("webhook-id", "one")]).status == 202)
            let replay = try await server.post("/webhooks/email", body: body, headers: [Self.json, signed, ("webhook-id", "two")])
            #expect(replay.status == 200)
            #expect(replay.json?["status"] as? String == "duplicate")
        }
    }

    // MARK: Poison rows

    @Test("poison rows planted in the inbox are dead-lettered with the reason; the process keeps serving (SQLite)")
    func poisonRowsSQLite() async throws { try await poisonRows(.sqlite) }

    @Test("poison rows planted in the inbox are dead-lettered with the reason; the process keeps serving (PostgreSQL)", .postgres)
    func poisonRowsPostgres() async throws { try await poisonRows(.postgres) }

    func poisonRows(_ database: TestDatabase) async throws {
        try await Self.run(database, configure: { $0.pipeline.maxAttempts = 3 }) { server in
            let bridge = #"{"event":{"type":"new_message","uid":1e19,"subject":"s","sender":"a@b.example","email_content":{"plain_body":"x"}}}"#
            _ = try await server.store.insertInboxBatch([[
                NewInboxItem(source: .integration, kind: .imapBridgeEvent, endpoint: "helpdesk", dedupeKey: "poison-1", payload: bridge),
                NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "helpdesk", dedupeKey: "poison-2", payload: "not json"),
                NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "helpdesk", dedupeKey: "poison-3", payload: #"{"message":{"from":{"address":5}}}"#),
            ]])
            server.application.dispatcher.wake()
            try await eventually { try await server.store.inboxRows(limit: 10).allSatisfy { $0.status == .dead } }
            let rows = try await server.store.inboxRows(limit: 10)
            #expect(rows.allSatisfy { $0.attempts <= 3 && ($0.lastError ?? "").contains("unprocessable") }, "\(rows.map(\.lastError))")
            #expect(try await server.get("/health").status == 200)
        }
    }
}
