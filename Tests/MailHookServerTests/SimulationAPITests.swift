import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// `POST /analytics/simulate` after 50 emails through the real pipeline: the decision matrix and the
/// feedback-measured error match what the routing policy gives here on the stored rows, and nothing
/// is changed or sent.
@Suite("What-if routing")
struct SimulationAPITests {
    @Test("the decision matrix and feedback error match the stored rows; nothing changes (SQLite)")
    func simulateSQLite() async throws { try await simulate(.sqlite) }

    @Test("the decision matrix and feedback error match the stored rows; nothing changes (PostgreSQL)", .postgres)
    func simulatePostgres() async throws { try await simulate(.postgres) }

    static let headers = [("Content-Type", "application/json")] + AdminAPITests.auth

    func simulate(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            // Feedback on three emails: one agreeing, two naming another category.
            var stored: [String: (Classification, String)] = [:]
            for row in try await server.store.tableRows(.classificationResults, limit: 1000) {
                let id = row["email_id"]?.stringValue ?? ""
                let category = MailHookCore.Category(rawValue: row["category"]?.stringValue ?? "") ?? .support
                let urgency = Urgency(rawValue: row["urgency"]?.stringValue ?? "") ?? .medium
                let c = Classification(
                    category: category, confidence: row["confidence"]?.testNumber ?? -1, reasoning: "", urgency: urgency, suggestedAction: "",
                    requiredExpertise: [], estimatedEffort: "", modelUsed: "", promptVersion: "")
                stored[id] = (c, category.rawValue)
            }
            #expect(stored.count == count)
            var old: [String: String] = [:]
            for row in try await server.store.tableRows(.processingResults, limit: 1000) {
                var routing = row["confidence_routing"] ?? .null
                if let text = routing.stringValue { routing = try JSONValue.parse(Array(text.utf8)) }
                old[row["email_id"]?.stringValue ?? ""] = routing["decision"]?.stringValue
            }
            var corrected: [String: String] = [:]
            for (n, agree) in [(1, true), (2, false), (3, false)] {
                let id = "helpdesk:evt-\(n)"
                let mine = try #require(stored[id]).1
                let category = agree ? mine : (mine == "SUPPORT" ? "PURCHASING" : "SUPPORT")
                corrected[id] = category
                let body = #"{"email_id": "\#(id)", "correct_category": "\#(category)", "rating": "\#(agree ? "correct" : "wrong")"}"#
                #expect(try await server.post("/analytics/feedback", body: body, headers: Self.headers).status == 201)
            }
            let actionsBefore = try await server.store.tableRows(.actionRecords, limit: 1000).count

            for routingJSON in [#"{}"#, #"{"thresholds": {"autoHandle": 50, "suggestResponse": 40, "humanReview": 30}, "autoRespondCategories": ["SUPPORT", "INFORMATION"]}"#] {
                let reply = try await server.post("/analytics/simulate", body: #"{"routing": \#(routingJSON), "days": 7}"#, headers: Self.headers)
                #expect(reply.status == 200, "\(reply.body)")
                let result = try JSONValue.parse(Array(reply.body.utf8))
                // The same policy, applied here.
                let policy = RoutingPolicy(try RoutingSimulator.routing(try JSONValue.parse(Array(routingJSON.utf8))))
                var matrix: [String: Int] = [:]
                var perNew: [String: (emails: Int, rated: Int, wrong: Int)] = [:]
                var changed = 0
                for (id, (classification, category)) in stored {
                    let new = policy.route(classification).decision.rawValue
                    let from = old[id] ?? RoutingSimulation.unrecorded
                    matrix["\(from)>\(new)", default: 0] += 1
                    if from != new { changed += 1 }
                    var t = perNew[new] ?? (0, 0, 0)
                    t.emails += 1
                    if let person = corrected[id] {
                        t.rated += 1
                        if person != category { t.wrong += 1 }
                    }
                    perNew[new] = t
                }
                #expect(result["emails"] == .number(Double(count)))
                #expect(result["changed"] == .number(Double(changed)))
                let shown = Dictionary(uniqueKeysWithValues: (result["matrix"]?.arrayValue ?? []).map {
                    ("\($0["from"]?.stringValue ?? "")>\($0["to"]?.stringValue ?? "")", Int($0["count"]?.testNumber ?? -1))
                })
                #expect(shown == matrix, "\(routingJSON)")
                for outcome in result["outcomes"]?.arrayValue ?? [] {
                    let t = perNew[outcome["decision"]?.stringValue ?? ""] ?? (-1, -1, -1)
                    #expect(outcome["emails"] == .number(Double(t.emails)))
                    #expect(outcome["rated"] == .number(Double(t.rated)))
                    #expect(outcome["wrong"] == .number(Double(t.wrong)))
                    #expect(outcome["error_rate"] == (t.rated == 0 ? .null : .number(Double(t.wrong) / Double(t.rated))))
                }
                #expect((result["outcomes"]?.arrayValue ?? []).count == perNew.count)
            }
            #expect(try await server.store.tableRows(.actionRecords, limit: 1000).count == actionsBefore, "nothing was done")

            for (body, word) in [
                (#"{"routing": {"thresholds": {"autoHandle": 101}}}"#, "routing.thresholds.autoHandle"),
                (#"{"routing": {"autoRespondCategories": ["NOPE"]}}"#, "routing.autoRespondCategories"),
                (#"{"routing": {}, "days": 0}"#, "days"),
                (#"{"routing": {}, "extra": 1}"#, "extra"),
                (#"{"days": 3}"#, "routing"),
                (#"[1]"#, "object"),
            ] {
                let reply = try await server.post("/analytics/simulate", body: body, headers: Self.headers)
                #expect(reply.status == 400, "\(body): \(reply.body)")
                #expect(reply.body.contains(word), "\(body): \(reply.body)")
            }
            #expect(try await server.post("/analytics/simulate", body: #"{"routing": {}}"#).status == 401)
        }
    }

    @Test("a stricter auto-respond bar moves exactly the recorded AUTO_RESPOND emails to SUGGEST_RESPONSE (SQLite)")
    func stricterSQLite() async throws { try await stricter(.sqlite) }

    @Test("a stricter auto-respond bar moves exactly the recorded AUTO_RESPOND emails to SUGGEST_RESPONSE (PostgreSQL)", .postgres)
    func stricterPostgres() async throws { try await stricter(.postgres) }

    func stricter(_ database: TestDatabase) async throws {
        let configure: TestServer.Configure = {
            AdminAPITests.configure(&$0)
            // Record the policy's own decisions: the per-email guards would downgrade these senders.
            $0.routing.autoRespondGuard = .init(senderDomain: false, offlineAgreement: false)
        }
        try await TestServer.run(database: database, configure: configure, integrationsJSON: PipelineTests.integrations) { server in
            for n in 1...50 { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            var recordedAuto = 0
            for row in try await server.store.tableRows(.processingResults, limit: 1000) {
                var routing = row["confidence_routing"] ?? .null
                if let text = routing.stringValue { routing = try JSONValue.parse(Array(text.utf8)) }
                if routing["decision"]?.stringValue == "AUTO_RESPOND" { recordedAuto += 1 }
            }
            #expect(recordedAuto > 0, "the seed has confident SUPPORT/INFORMATION mail")
            let strict = #"{"routing": {"categoryAdjustments": {"SUPPORT": 0.99, "INFORMATION": 0.99}}}"#
            let reply = try await server.post("/analytics/simulate", body: strict, headers: Self.headers)
            #expect(reply.status == 200, "\(reply.body)")
            let result = try JSONValue.parse(Array(reply.body.utf8))
            let moved = (result["matrix"]?.arrayValue ?? []).first { $0["from"]?.stringValue == "AUTO_RESPOND" && $0["to"]?.stringValue == "SUGGEST_RESPONSE" }
            #expect(moved?["count"] == .number(Double(recordedAuto)), "\(result)")
            #expect(!(result["outcomes"]?.arrayValue ?? []).contains { $0["decision"]?.stringValue == "AUTO_RESPOND" })
            #expect(result["changed"] == .number(Double(recordedAuto)))
        }
    }
}
