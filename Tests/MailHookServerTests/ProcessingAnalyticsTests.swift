import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// `GET /analytics/processing` and the feedback that `mailhook train` reads, after a seeded
/// pipeline run through the real stack, checked against figures computed here from the stored rows.
@Suite("Processing analytics")
struct ProcessingAnalyticsTests {
    @Test("processing totals, per-stage p50/p95 and daily trends match the stored rows (SQLite)")
    func processingSQLite() async throws { try await processing(.sqlite) }

    @Test("processing totals, per-stage p50/p95 and daily trends match the stored rows (PostgreSQL)", .postgres)
    func processingPostgres() async throws { try await processing(.postgres) }

    func processing(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }

            // Independent figures from the stored rows.
            let rows = try await server.store.tableRows(.processingResults, limit: 1000)
            #expect(rows.count == count)
            var status: [String: Int] = [:]
            var actions: [String: Int] = [:]
            var timings: [String: [Int]] = [:]
            for row in rows {
                status[row["status"]?.stringValue ?? "?", default: 0] += 1
                actions[row["action_taken"]?.stringValue ?? "none", default: 0] += 1
                if let total = row["processing_time_ms"]?.testNumber { timings["total", default: []].append(Int(total)) }
                var context = row["processing_context"] ?? .null
                if let text = context.stringValue { context = try JSONValue.parse(Array(text.utf8)) }
                for stage in PipelineStage.allCases {
                    if let ms = context["stages"]?[stage.rawValue]?.testNumber { timings[stage.rawValue, default: []].append(Int(ms)) }
                }
            }
            let reply = try await server.get("/analytics/processing?days=7", headers: AdminAPITests.auth)
            #expect(reply.status == 200, "\(reply.body)")
            let report = try JSONValue.parse(Array(reply.body.utf8))
            let totals = report["totals"]
            #expect(totals?["processed"] == .number(Double(count)))
            #expect(totals?["completed"] == .number(Double(status["completed", default: 0])))
            #expect(totals?["failed"] == .number(Double(status["failed", default: 0])))
            #expect(totals?["in_progress"] == .number(0))
            #expect(totals?["replies_sent"] == .number(0), "dry-run sends nothing")
            #expect(totals?["drafts"] == .number(Double(actions["draft_recorded", default: 0])))
            #expect(totals?["reviews"] == .number(Double(actions["review_recorded", default: 0])))
            let escalations = ["teams_chat_recorded", "workflow_card_recorded", "escalation_recorded"].reduce(0) { $0 + actions[$1, default: 0] }
            #expect(totals?["escalations"] == .number(Double(escalations)))
            #expect(escalations > 0 && actions["draft_recorded", default: 0] > 0, "the seed reaches several decisions: \(actions)")
            #expect(totals?["dry_run"] == .number(Double(actions.filter { $0.key.hasSuffix("_recorded") }.values.reduce(0, +))))

            let stages = report["stages"]?.arrayValue ?? []
            #expect(stages.first?["stage"]?.stringValue == "total")
            #expect(stages.count == timings.count, "\(stages.map { $0["stage"]?.stringValue ?? "" }) vs \(timings.keys.sorted())")
            for stage in stages {
                let name = stage["stage"]?.stringValue ?? ""
                let values = (timings[name] ?? []).sorted()
                #expect(stage["count"] == .number(Double(values.count)), "\(name)")
                guard !values.isEmpty else { continue }
                #expect(stage["p50_ms"] == .number(Double(values[ProcessingAnalytics.rank(percent: 50, count: values.count)])), "\(name)")
                #expect(stage["p95_ms"] == .number(Double(values[ProcessingAnalytics.rank(percent: 95, count: values.count)])), "\(name)")
            }

            let daily = report["daily"]?.arrayValue ?? []
            #expect(daily.count == 1, "everything ran today: \(daily)")
            #expect(daily.first?["day"]?.stringValue == String(ISO8601DateFormatter().string(from: Date()).prefix(10)))
            #expect(daily.first?["processed"] == .number(Double(count)))
            #expect(daily.first?["escalations"] == .number(Double(escalations)))

            for bad in ["days=0", "days=-1", "days=1.5", "x=1"] {
                #expect(try await server.get("/analytics/processing?\(bad)", headers: AdminAPITests.auth).status == 400, "\(bad)")
            }
            #expect(try await server.get("/analytics/processing").status == 401)
        }
    }

    @Test("each email's latest feedback, with its stored text, is what training reads (SQLite)")
    func feedbackExamplesSQLite() async throws { try await feedbackExamples(.sqlite) }

    @Test("each email's latest feedback, with its stored text, is what training reads (PostgreSQL)", .postgres)
    func feedbackExamplesPostgres() async throws { try await feedbackExamples(.postgres) }

    func feedbackExamples(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            for n in 1...3 { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            func feedback(_ n: Int, _ fields: String) async throws {
                let body = #"{"email_id": "helpdesk:evt-\#(n)", \#(fields), "rating": "wrong"}"#
                let reply = try await server.post("/analytics/feedback", body: body, headers: [("Content-Type", "application/json")] + AdminAPITests.auth)
                #expect(reply.status == 201, "\(reply.body)")
            }
            try await feedback(1, #""correct_category": "INFORMATION""#)
            try await feedback(1, #""correct_category": "CONSULTATION", "correct_urgency": "HIGH""#)
            try await feedback(2, #""correct_category": "ESCALATION""#)
            let examples = try await server.store.feedbackExamples(limit: 100)
            #expect(examples.count == 2, "one per email: \(examples.map(\.id))")
            let first = try #require(examples.first { $0.id == "helpdesk:evt-1" })
            #expect(first.category == .consultation && first.urgency == .high, "the latest feedback counts")
            #expect(first.subject.hasPrefix(AnalyticsAPITests.subjects[1].0), "\(first.subject)")
            #expect(!first.body.isEmpty)
            let second = try #require(examples.first { $0.id == "helpdesk:evt-2" })
            #expect(second.category == .escalation && second.urgency == nil)
            #expect(try await server.store.feedbackExamples(limit: 1).count == 1)
        }
    }
}
