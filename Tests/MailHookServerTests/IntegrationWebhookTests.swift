import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOHTTP1
import Testing

@Suite("Third-party webhooks")
struct IntegrationWebhookTests {
    static let hmacSecret = "helpdesk-signing-secret-0123456789"
    static let bearerToken = "crm-bearer-token-abcdefghijklmnop"
    static let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static let integrations = """
        {"webhook_endpoints": [
          {"name": "helpdesk", "url": "/webhooks/email",
           "authentication": {"type": "hmac_sha256", "secret": "${HELPDESK_SECRET}"}, "mailboxes": ["it@zgcompanies.com"]},
          {"name": "crm", "url": "/webhooks/crm",
           "authentication": {"type": "bearer_token", "token": "${CRM_TOKEN}"},
           "filters": {"sender_domains": ["zgcompanies.com"], "subjects_containing": ["urgent", "critical"]}},
          {"name": "relay", "url": "/webhooks/relay",
           "authentication": {"type": "standard_webhooks", "secret": "${RELAY_SECRET}"}},
          {"name": "bridge", "url": "/webhooks/imap",
           "authentication": {"type": "hmac_sha256", "secret": "${HELPDESK_SECRET}", "header": "X-Bridge-Signature"}},
          {"name": "off", "enabled": false, "url": "/webhooks/off",
           "authentication": {"type": "bearer_token", "token": "${UNSET_TOKEN}"}}
        ]}
        """
    static let environment = ["HELPDESK_SECRET": hmacSecret, "CRM_TOKEN": bearerToken, "RELAY_SECRET": whsec]

    static func run(_ database: TestDatabase, now: @escaping @Sendable () -> Date = { Date() }, _ body: @Sendable (TestServer) async throws -> Void) async throws {
        try await TestServer.run(database: database, integrationsJSON: integrations, environment: environment, now: now, body)
    }

    @Test("HMAC: valid, one byte changed, wrong secret, missing header, GitHub's header (SQLite)")
    func hmacSQLite() async throws { try await hmac(.sqlite) }

    @Test("HMAC: valid, one byte changed, wrong secret, missing header, GitHub's header (PostgreSQL)", .postgres)
    func hmacPostgres() async throws { try await hmac(.postgres) }

    func hmac(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            let body = Samples.canonicalEvent(id: "evt_hmac")
            let good = Signing.hmacHeader(body, secret: Self.hmacSecret)
            let json = ("Content-Type", "application/json")

            let accepted = try await server.post("/webhooks/email", body: body, headers: [json, good])
            #expect(accepted.status == 202)
            #expect(accepted.json?["status"] as? String == "accepted")
            #expect(accepted.json?["id"] as? Int != nil)

            var tampered = Array(body.utf8)
            tampered[tampered.count / 2] ^= 0x01
            #expect(try await server.post("/webhooks/email", body: tampered, headers: [json, good]).status == 401)
            #expect(try await server.post("/webhooks/email", body: body, headers: [json, Signing.hmacHeader(body, secret: "wrong")]).status == 401)
            #expect(try await server.post("/webhooks/email", body: body, headers: [json]).status == 401)
            #expect(try await server.post("/webhooks/email", body: body, headers: [json, ("X-Signature", "sha256=zz")]).status == 401)

            let other = Samples.canonicalEvent(id: "evt_hub")
            let hub = Signing.hmacHeader(other, secret: Self.hmacSecret, header: "X-Hub-Signature-256")
            #expect(try await server.post("/webhooks/email", body: other, headers: [json, hub]).status == 202)

            // The 401 says nothing more than that.
            let refused = try await server.post("/webhooks/email", body: body, headers: [json])
            #expect(refused.body == #"{"status":"unauthorized"}"#)
            #expect(server.metric(#"mailhook_rejections_total{source="helpdesk",reason="mismatch"}"#) == 2)
            #expect(try await server.store.inboxRows(limit: 10).map(\.dedupeKey) == ["event|helpdesk|id:evt_hmac", "event|helpdesk|id:evt_hub"])
        }
    }

    @Test("Standard Webhooks: valid, rotation, ±301 s, replayed webhook-id (SQLite)")
    func standardWebhooksSQLite() async throws { try await standardWebhooks(.sqlite) }

    @Test("Standard Webhooks: valid, rotation, ±301 s, replayed webhook-id (PostgreSQL)", .postgres)
    func standardWebhooksPostgres() async throws { try await standardWebhooks(.postgres) }

    func standardWebhooks(_ database: TestDatabase) async throws {
        let now = Date(timeIntervalSince1970: 1_770_000_000)
        try await Self.run(database, now: { now }) { server in
            let t = Int(now.timeIntervalSince1970)
            let body = Samples.canonicalEvent(id: "evt_sw")
            let headers = Signing.standardWebhooksHeaders(id: "msg_1", timestamp: t, body: body, secret: Self.whsec)
            let first = try await server.post("/webhooks/relay", body: body, headers: headers)
            #expect(first.status == 202)

            // Replayed webhook-id (even with a fresh timestamp and signature): a duplicate, stored once.
            let replay = Signing.standardWebhooksHeaders(id: "msg_1", timestamp: t + 10, body: body, secret: Self.whsec)
            let second = try await server.post("/webhooks/relay", body: body, headers: replay)
            #expect(second.status == 200)
            #expect(second.json?["status"] as? String == "duplicate")

            // Rotation: an old-key signature next to a valid one passes.
            let body2 = Samples.canonicalEvent(id: "evt_sw2")
            var rotated = Signing.standardWebhooksHeaders(id: "msg_2", timestamp: t, body: body2, secret: Self.whsec)
            let oldKey = Signing.standardWebhooksHeaders(id: "msg_2", timestamp: t, body: body2, secret: "whsec_" + Data("an-older-key".utf8).base64EncodedString())
            rotated[3].1 = oldKey[3].1 + " " + rotated[3].1
            #expect(try await server.post("/webhooks/relay", body: body2, headers: rotated).status == 202)

            // Only an old-key signature: refused.
            #expect(try await server.post("/webhooks/relay", body: body2, headers: oldKey).status == 401)

            for skew in [301, -301] {
                let body3 = Samples.canonicalEvent(id: "evt_skew\(skew)")
                let stale = Signing.standardWebhooksHeaders(id: "msg_skew\(skew)", timestamp: t + skew, body: body3, secret: Self.whsec)
                #expect(try await server.post("/webhooks/relay", body: body3, headers: stale).status == 401, "skew \(skew)")
            }
            for skew in [300, -300] {
                let body4 = Samples.canonicalEvent(id: "evt_edge\(skew)")
                let edge = Signing.standardWebhooksHeaders(id: "msg_edge\(skew)", timestamp: t + skew, body: body4, secret: Self.whsec)
                #expect(try await server.post("/webhooks/relay", body: body4, headers: edge).status == 202, "skew \(skew)")
            }
            #expect(server.metric(#"mailhook_rejections_total{source="relay",reason="timestamp_out_of_tolerance"}"#) == 2)
            let keys = try await server.store.inboxRows(limit: 20).map(\.dedupeKey)
            #expect(keys == ["event|relay|wh:msg_1", "event|relay|wh:msg_2", "event|relay|wh:msg_edge300", "event|relay|wh:msg_edge-300"])
        }
    }

    @Test("bearer token, then filters: sender domain with subdomains, subject; filtered events are not stored (SQLite)")
    func bearerAndFiltersSQLite() async throws { try await bearerAndFilters(.sqlite) }

    @Test("bearer token, then filters: sender domain with subdomains, subject; filtered events are not stored (PostgreSQL)", .postgres)
    func bearerAndFiltersPostgres() async throws { try await bearerAndFilters(.postgres) }

    func bearerAndFilters(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            let auth = ("Authorization", "Bearer \(Self.bearerToken)")
            let json = ("Content-Type", "application/json")
            let ok = Samples.canonicalEvent(id: "e1", from: "bob@mail.ZGcompanies.com", subject: "URGENT: VPN down")
            #expect(try await server.post("/webhooks/crm", body: ok, headers: [json, auth]).status == 202)
            #expect(try await server.post("/webhooks/crm", body: ok, headers: [json, ("Authorization", "Bearer nope")]).status == 401)
            #expect(try await server.post("/webhooks/crm", body: ok, headers: [json]).status == 401)
            #expect(try await server.post("/webhooks/crm", body: ok, headers: [json, ("Authorization", "Basic \(Self.bearerToken)")]).status == 401)

            for (id, from, subject) in [("e2", "eve@evilzgcompanies.com", "urgent"), ("e3", "bob@zgcompanies.com", "lunch plans"), ("e4", "x@other.org", "critical")] {
                let reply = try await server.post("/webhooks/crm", body: Samples.canonicalEvent(id: id, from: from, subject: subject), headers: [json, auth])
                #expect(reply.status == 200, "\(id)")
                #expect(reply.json?["status"] as? String == "filtered", "\(id)")
            }
            #expect(try await server.post("/webhooks/crm", body: Samples.canonicalEvent(id: "e5", from: "ann@zgcompanies.com", subject: "Critical patch"), headers: [json, auth]).status == 202)
            #expect(try await server.store.inboxRows(limit: 10).map(\.dedupeKey) == ["event|crm|id:e1", "event|crm|id:e5"])
            #expect(server.metric(#"mailhook_notifications_total{source="crm",outcome="filtered"}"#) == 3)
            // The disabled endpoint is not mounted, so its unset ${UNSET_TOKEN} did not matter.
            #expect(try await server.post("/webhooks/off", body: ok, headers: [json]).status == 404)
        }
    }

    @Test("payload shapes: canonical, by reference, IMAP bridge; dedupe falls back to the body hash (SQLite)")
    func payloadShapesSQLite() async throws { try await payloadShapes(.sqlite) }

    @Test("payload shapes: canonical, by reference, IMAP bridge; dedupe falls back to the body hash (PostgreSQL)", .postgres)
    func payloadShapesPostgres() async throws { try await payloadShapes(.postgres) }

    func payloadShapes(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            let json = ("Content-Type", "application/json")
            let reference = #"{"id":"ref_1","type":"email.received","graph":{"mailbox":"it@zgcompanies.com","messageId":"AAMkAGRef="}}"#
            let bridge = #"{"event":{"type":"new_message","uid":4711,"subject":"Password reset","sender":"Carol <carol@zgcompanies.com>","email_content":{"plain_body":"Please reset my password","html_body":"<p>Please reset my password</p>","headers":{"Message-ID":"<x@y>"}}},"webhook_config":{"name":"imap"}}"#
            let noId = #"{"type":"email.received","message":{"from":{"address":"dan@zgcompanies.com"},"subject":"No id here"}}"#
            #expect(try await server.post("/webhooks/email", body: reference, headers: [json, Signing.hmacHeader(reference, secret: Self.hmacSecret)]).status == 202)
            #expect(try await server.post("/webhooks/imap", body: bridge, headers: [json, Signing.hmacHeader(bridge, secret: Self.hmacSecret, header: "X-Bridge-Signature")]).status == 202)
            #expect(try await server.post("/webhooks/email", body: noId, headers: [json, Signing.hmacHeader(noId, secret: Self.hmacSecret)]).status == 202)
            #expect(try await server.post("/webhooks/email", body: noId, headers: [json, Signing.hmacHeader(noId, secret: Self.hmacSecret)]).status == 200)
            let rows = try await server.store.inboxRows(limit: 10)
            #expect(rows.map(\.kind) == [.referenceEvent, .imapBridgeEvent, .canonicalEvent])
            #expect(rows.map(\.endpoint) == ["helpdesk", "bridge", "helpdesk"])
            #expect(rows[2].dedupeKey.hasPrefix("event|helpdesk|sha256:"))
            #expect(rows[1].payload == bridge, "the payload is stored byte for byte")
        }
    }

    @Test("bad input on an integration endpoint: 4xx with a reason, nothing stored (SQLite)")
    func badInputSQLite() async throws { try await badInput(.sqlite) }

    @Test("bad input on an integration endpoint: 4xx with a reason, nothing stored (PostgreSQL)", .postgres)
    func badInputPostgres() async throws { try await badInput(.postgres) }

    func badInput(_ database: TestDatabase) async throws {
        try await Self.run(database) { server in
            func signed(_ body: [UInt8], contentType: String? = "application/json") -> [(String, String)] {
                var headers = [("X-Signature", WebhookSignature.hmacSHA256Hex(body: body, secret: Secret(Self.hmacSecret)))]
                if let contentType { headers.append(("Content-Type", contentType)) }
                return headers
            }
            let deep = Array((String(repeating: "{\"a\":", count: 10_000) + "1" + String(repeating: "}", count: 10_000)).utf8)
            let cases: [(String, [UInt8], String?, Int, String)] = [
                ("malformed JSON", Array(#"{"type": "email.received", "#.utf8), "application/json", 400, "not valid JSON"),
                ("wrong content type", Array(Samples.canonicalEvent().utf8), "text/plain", 415, "application/json"),
                ("empty body", [], "application/json", 400, "empty"),
                ("nested 10,000 deep", deep, "application/json", 400, "nests deeper"),
                ("invalid UTF-8", [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], "application/json", 400, "UTF-8"),
                ("missing sender", Array(#"{"type":"email.received","message":{"subject":"x"}}"#.utf8), "application/json", 400, "message.from"),
                ("wrong type", Array(#"{"type":"email.deleted","message":{}}"#.utf8), "application/json", 400, "unsupported event type"),
            ]
            for (name, body, contentType, status, reason) in cases {
                let reply = try await server.post("/webhooks/email", body: body, headers: signed(body, contentType: contentType))
                #expect(reply.status == status, "\(name)")
                #expect(reply.body.contains(reason), "\(name): \(reply.body)")
                #expect(try await server.get("/health").status == 200)
            }
            let tooLarge = try await RawHTTPClient.upload(
                port: server.port, path: "/webhooks/email", headers: [("X-Signature", "sha256=" + String(repeating: "0", count: 64))],
                bodySize: 10 << 20, chunked: false)
            #expect(tooLarge.status == 413)
            #expect(try await server.get("/health").status == 200)
            #expect(try await server.store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a store outage answers 503 so the sender retries (SQLite)")
    func storeOutageSQLite() async throws { try await storeOutage(.sqlite) }

    @Test("a store outage answers 503 so the sender retries (PostgreSQL)", .postgres)
    func storeOutagePostgres() async throws { try await storeOutage(.postgres) }

    func storeOutage(_ database: TestDatabase) async throws {
        let faulty = FaultyDatabaseBox()
        try await TestServer.run(database: database, integrationsJSON: Self.integrations, environment: Self.environment, wrapDatabase: { faulty.wrap($0) }) { server in
            let body = Samples.canonicalEvent(id: "evt_outage")
            let headers = [("Content-Type", "application/json"), Signing.hmacHeader(body, secret: Self.hmacSecret)]
            faulty.database?.setFailing(true)
            let reply = try await server.post("/webhooks/email", body: body, headers: headers)
            #expect(reply.status == 503)
            #expect(reply.headers.first(name: "Retry-After") != nil)
            faulty.database?.setFailing(false)
            #expect(try await server.post("/webhooks/email", body: body, headers: headers).status == 202)
            #expect(try await server.store.inboxRows(limit: 10).count == 1)
        }
    }
}
