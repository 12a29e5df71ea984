import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOHTTP1
import Testing

/// The admin API: one email's trail and feedback, behind the admin token, on both databases.
@Suite("Admin API")
struct AdminAPITests {
    static let adminToken = "admin-test-token-0123456789"
    static let planted = "PLANTED-workflow-signature-5f1c9e"

    static func configure(_ config: inout MailHookConfiguration) {
        config.admin.token = Secret(adminToken)
        config.teams.workflowUrl = Secret("https://prod.example/workflows/abc?sig=\(planted)")
    }

    static func event(_ n: Int) -> String {
        #"{"id": "evt-\#(n)", "type": "email.received", "message": {"from": {"address": "user\#(n)@contoso.example"}, "subject": "Printer jammed on floor \#(n)", "bodyText": "It jams on every page. My SSN is 123-45-6789, mail user\#(n)@contoso.example."}}"#
    }

    static var auth: [(String, String)] { [("Authorization", "Bearer \(adminToken)")] }

    @Test("an email's trail: inbox row, sanitised message, classification, routing rule, actions (SQLite)")
    func trailSQLite() async throws { try await trail(.sqlite) }

    @Test("an email's trail: inbox row, sanitised message, classification, routing rule, actions (PostgreSQL)", .postgres)
    func trailPostgres() async throws { try await trail(.postgres) }

    func trail(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: Self.configure, integrationsJSON: PipelineTests.integrations) { server in
            for n in 1...3 { #expect(try await PipelineTests.post(server, Self.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }

            let reply = try await server.get("/emails/helpdesk:evt-2", headers: Self.auth)
            #expect(reply.status == 200)
            let trail = try JSONValue.parse(Array(reply.body.utf8))
            #expect(trail["email"]?["id"]?.stringValue == "helpdesk:evt-2")
            #expect(trail["email"]?["subject"]?.stringValue == "Printer jammed on floor 2")
            let body = trail["email"]?["body"]?.stringValue ?? ""
            #expect(body.contains("It jams on every page.") && !body.contains("user2@contoso.example") && !body.contains("123-45-6789"), "\(body)")
            #expect(trail["inbox"]?[0]?["status"]?.stringValue == "completed")
            #expect(trail["inbox"]?[0]?["attempts"]?.numberValue == 1)
            #expect(trail["classification"]?["category"]?.stringValue == "SUPPORT")
            #expect(trail["classification"]?["model_used"]?.stringValue == "local-rules")
            let routing = trail["processing"]?[0]?["routing"]
            #expect(routing?["decision"]?.stringValue != nil && routing?["rule"]?.stringValue != nil, "\(String(describing: routing))")
            #expect(trail["processing"]?[0]?["status"]?.stringValue == "completed")
            #expect(trail["actions"]?[0]?["mode"]?.stringValue == "dry-run")
            #expect(trail["actions"]?[0]?["request"]?["method"]?.stringValue == "POST")
            #expect(trail["feedback"]?.arrayValue?.isEmpty == true)

            #expect(try await server.get("/emails/helpdesk:evt-2").status == 401)
            #expect(try await server.get("/emails/helpdesk:evt-2", headers: [("Authorization", "Bearer wrong-token-0123456789")]).status == 401)
            #expect(try await server.get("/emails/helpdesk:evt-2", headers: [("Authorization", "Basic \(Self.adminToken)")]).status == 401)
            let missing = try await server.get("/emails/helpdesk:evt-99", headers: Self.auth)
            #expect(missing.status == 404 && missing.body.contains("not_found"))
            #expect(try await server.get("/emails/helpdesk%3Aevt-1", headers: Self.auth).status == 200, "a percent-encoded id")
        }
    }

    @Test("a secret planted in a stored action request never appears in the trail")
    func plantedSecret() async throws {
        try await TestServer.run(database: .sqlite, configure: Self.configure, integrationsJSON: PipelineTests.integrations) { server in
            #expect(try await PipelineTests.post(server, Self.event(1)).status == 202)
            try await eventually { try await PipelineTests.settled(server) }
            let inboxId = try #require(try await server.store.inboxRows(limit: 10).first?.id)
            let workflowUrl = "https://prod.example/workflows/abc?sig=\(Self.planted)"
            _ = try await server.store.beginAction(ActionRecord(
                inboxId: inboxId, emailId: "helpdesk:evt-1", action: .workflowCard, idempotencyKey: "helpdesk:evt-1|workflow-card",
                mode: .live, request: JSONWriter.text(["url": workflowUrl, "authorization": "Bearer \(Self.adminToken)"])))
            let reply = try await server.get("/emails/helpdesk:evt-1", headers: Self.auth)
            #expect(reply.status == 200)
            // An answer that holds mail is kept by no cache and read as nothing but JSON.
            #expect(reply.headers["Cache-Control"] == ["no-store"] && reply.headers["X-Content-Type-Options"] == ["nosniff"], "\(reply.headers)")
            #expect(reply.body.contains("workflow-card"), "the planted record is shown")
            #expect(!reply.body.contains(Self.planted) && !reply.body.contains(Self.adminToken), "\(reply.body)")
            #expect(reply.body.contains("***"))
        }
    }

    @Test("feedback: 201 and shown in the trail; unknown email 404; a bad field 400 naming it (SQLite)")
    func feedbackSQLite() async throws { try await feedback(.sqlite) }

    @Test("feedback: 201 and shown in the trail; unknown email 404; a bad field 400 naming it (PostgreSQL)", .postgres)
    func feedbackPostgres() async throws { try await feedback(.postgres) }

    func feedback(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: Self.configure, integrationsJSON: PipelineTests.integrations) { server in
            #expect(try await PipelineTests.post(server, Self.event(1)).status == 202)
            try await eventually { try await PipelineTests.settled(server) }
            func post(_ body: String, auth: Bool = true) async throws -> TestServer.Reply {
                try await server.post("/analytics/feedback", body: body, headers: [("Content-Type", "application/json")] + (auth ? Self.auth : []))
            }
            let created = try await post(#"{"email_id": "helpdesk:evt-1", "correct_category": "PURCHASING", "correct_urgency": "HIGH", "rating": "wrong", "comment": "a purchase"}"#)
            #expect(created.status == 201, "\(created.body)")
            #expect(created.json?["status"] as? String == "created")
            let trail = try JSONValue.parse(Array(try await server.get("/emails/helpdesk:evt-1", headers: Self.auth).body.utf8))
            #expect(trail["feedback"]?[0]?["correct_category"]?.stringValue == "PURCHASING")
            #expect(trail["feedback"]?[0]?["rating"]?.stringValue == "wrong")
            #expect(trail["feedback"]?[0]?["correct_urgency"]?.stringValue == "HIGH")

            let unknown = try await post(#"{"email_id": "helpdesk:nope", "correct_category": "SUPPORT", "rating": "correct"}"#)
            #expect(unknown.status == 404)
            let cases: [(String, String)] = [
                (#"{"email_id": "helpdesk:evt-1", "correct_category": "SUPPORT", "rating": "great"}"#, "rating"),
                (#"{"email_id": "helpdesk:evt-1", "correct_category": "HARDWARE", "rating": "correct"}"#, "correct_category"),
                (#"{"email_id": "helpdesk:evt-1", "rating": "correct"}"#, "correct_category"),
                (#"{"correct_category": "SUPPORT", "rating": "correct"}"#, "email_id"),
                (#"{"email_id": "helpdesk:evt-1", "correct_category": "SUPPORT", "rating": "correct", "correct_urgency": "SOON"}"#, "correct_urgency"),
                (#"{"email_id": 7, "correct_category": "SUPPORT", "rating": "correct"}"#, "email_id"),
                (#"{"email_id": "helpdesk:evt-1", "correct_category": "SUPPORT", "rating": "correct", "extra": 1}"#, "extra"),
                (#"[1]"#, "object"),
            ]
            for (body, field) in cases {
                let reply = try await post(body)
                #expect(reply.status == 400 && reply.body.contains(field), "\(body) → \(reply.status) \(reply.body)")
            }
            #expect(try await post(#"{"email_id": "helpdesk:evt-1", "correct_category": "SUPPORT", "rating": "correct"}"#, auth: false).status == 401)
            let rows = try await server.store.tableRows(.classificationFeedback, limit: 10)
            #expect(rows.count == 1, "only the valid feedback was stored")
        }
    }

    @Test("history: filters, and paging returns every email exactly once, newest first (SQLite)")
    func historySQLite() async throws { try await history(.sqlite) }

    @Test("history: filters, and paging returns every email exactly once, newest first (PostgreSQL)", .postgres)
    func historyPostgres() async throws { try await history(.postgres) }

    func history(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: Self.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 23
            for n in 1...count { #expect(try await PipelineTests.post(server, Self.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            func page(_ query: String) async throws -> JSONValue {
                let reply = try await server.get("/emails/history?\(query)", headers: Self.auth)
                #expect(reply.status == 200, "\(query) → \(reply.body)")
                return try JSONValue.parse(Array(reply.body.utf8))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let answer = try await page("limit=5" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += (answer["emails"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                cursor = answer["next_cursor"]?.stringValue
                pages += 1
            } while cursor != nil && pages < 20
            #expect(pages == 5)
            #expect(seen.count == count && Set(seen).count == count, "every email exactly once: \(seen)")

            let one = try await page("sender=USER7@contoso.example")
            #expect(one["emails"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["helpdesk:evt-7"])
            #expect(one["next_cursor"] == .null)
            let all = try await page("limit=500")
            let first = try #require(all["emails"]?[0])
            let decision = try #require(first["decision"]?.stringValue)
            let category = try #require(first["category"]?.stringValue)
            let expected = (all["emails"]?.arrayValue ?? []).filter {
                $0["decision"]?.stringValue == decision && $0["category"]?.stringValue == category
            }
            let decided = try await page("decision=\(decision)&category=\(category)&status=completed&limit=500&days=1")
            #expect(decided["emails"]?.arrayValue?.count == expected.count)
            #expect(try await page("category=PURCHASING")["emails"]?.arrayValue?.isEmpty == true)

            for bad in ["limit=0", "limit=501", "days=x", "category=HARDWARE", "decision=MAYBE", "status=done", "cursor=bm9wZQ", "colour=red"] {
                let reply = try await server.get("/emails/history?\(bad)", headers: Self.auth)
                #expect(reply.status == 400, "\(bad) → \(reply.status) \(reply.body)")
            }
            #expect(try await server.get("/emails/history").status == 401)
        }
    }

    @Test("without admin.token the admin routes do not exist: 404 with or without a token")
    func noToken() async throws {
        try await TestServer.run(database: .sqlite, integrationsJSON: PipelineTests.integrations) { (server: TestServer) async throws in
            for (method, path) in Self.adminRoutes + [("GET", "/dashboard")] {
                for headers in [[], Self.auth] {
                    let status = method == "GET"
                        ? try await server.get(path, headers: headers).status
                        : try await server.post(path, body: "{}", headers: [("Content-Type", "application/json")] + headers).status
                    #expect(status == 404, "\(method) \(path)")
                }
            }
        }
    }

    /// Every admin API route, as the router serves it (`OpenAPIContractTests` keeps the list honest).
    static let adminRoutes: [(String, String)] = [
        ("GET", "/emails/history"), ("GET", "/emails/helpdesk:evt-1"), ("POST", "/analytics/feedback"),
        ("GET", "/analytics/classification"), ("GET", "/analytics/processing"), ("GET", "/analytics/patterns"),
        ("GET", "/analytics/dashboard"), ("POST", "/analytics/simulate"),
    ]

    @Test("every admin route answers 401 without a token and with a wrong one, with no detail")
    func everyRouteNeedsTheToken() async throws {
        try await TestServer.run(database: .sqlite, configure: Self.configure, integrationsJSON: PipelineTests.integrations) { (server: TestServer) async throws in
            for (method, path) in Self.adminRoutes {
                for headers in [[], [("Authorization", "Bearer wrong-\(Self.adminToken)")], [("Authorization", "Basic \(Self.adminToken)")]] {
                    let reply = method == "GET"
                        ? try await server.get(path, headers: headers)
                        : try await server.post(path, body: #"{"routing": {}}"#, headers: [("Content-Type", "application/json")] + headers)
                    #expect(reply.status == 401, "\(method) \(path) \(headers)")
                    #expect(!reply.body.contains("reason"), "no detail: \(reply.body)")
                }
            }
        }
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }

    fileprivate var numberValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
