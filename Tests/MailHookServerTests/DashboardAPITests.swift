import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// `GET /analytics/dashboard` after 50 emails through the real pipeline, checked against counts
/// taken here from the stored rows.
@Suite("Dashboard API")
struct DashboardAPITests {
    @Test("dashboard numbers, review queue and automation candidates match the stored rows (SQLite)")
    func dashboardSQLite() async throws { try await dashboard(.sqlite) }

    @Test("dashboard numbers, review queue and automation candidates match the stored rows (PostgreSQL)", .postgres)
    func dashboardPostgres() async throws { try await dashboard(.postgres) }

    func dashboard(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }

            var categories: [String: Int] = [:]
            for row in try await server.store.tableRows(.classificationResults, limit: 1000) {
                categories[row["category"]?.stringValue ?? "?", default: 0] += 1
            }
            var decisions: [String: Int] = [:]
            for row in try await server.store.tableRows(.processingResults, limit: 1000) {
                var routing = row["confidence_routing"] ?? .null
                if let text = routing.stringValue { routing = try JSONValue.parse(Array(text.utf8)) }
                decisions[routing["decision"]?.stringValue ?? "?", default: 0] += 1
            }
            let inbox = try await server.store.tableRows(.inbox, limit: 1000)
            let forPeople = ["SUGGEST_RESPONSE", "HUMAN_REVIEW", "ESCALATE"].reduce(0) { $0 + decisions[$1, default: 0] }
            #expect(forPeople > 0, "\(decisions)")

            let reply = try await server.get("/analytics/dashboard", headers: AdminAPITests.auth)
            #expect(reply.status == 200, "\(reply.body)")
            let board = try JSONValue.parse(Array(reply.body.utf8))
            #expect(board["last_24h"]?["processed"] == .number(Double(count)))
            #expect(board["last_7d"]?["processed"] == .number(Double(count)))
            #expect(board["last_7d"]?["completed"] == .number(Double(count)))
            let shownCategories = Dictionary(uniqueKeysWithValues: (board["categories"]?.arrayValue ?? []).compactMap { c in
                c["category"]?.stringValue.map { ($0, Int(c["count"]?.testNumber ?? -1)) }
            })
            #expect(shownCategories == categories)
            let shownDecisions = Dictionary(uniqueKeysWithValues: (board["decisions"]?.arrayValue ?? []).compactMap { d in
                d["value"]?.stringValue.map { ($0, Int(d["count"]?.testNumber ?? -1)) }
            })
            #expect(shownDecisions == decisions)
            #expect(board["inbox"]?["pending"] == .number(Double(inbox.filter { $0["status"]?.stringValue == "pending" }.count)))
            #expect(board["inbox"]?["dead_letters"] == .number(Double(inbox.filter { $0["status"]?.stringValue == "dead" }.count)))
            #expect(board["active_escalations"] == .number(0), "dry-run creates no chats")
            #expect(board["daily"]?.arrayValue?.first?["processed"] == .number(Double(count)))

            let queue = board["review_queue"]?.arrayValue ?? []
            #expect(queue.count == min(forPeople, DashboardSummary.reviewQueueSize))
            #expect(queue.allSatisfy { ["SUGGEST_RESPONSE", "HUMAN_REVIEW", "ESCALATE"].contains($0["decision"]?.stringValue ?? "") })
            #expect(Set(queue.compactMap { $0["id"]?.stringValue }).count == queue.count)
            #expect(queue.allSatisfy { $0["subject"]?.stringValue?.isEmpty == false && $0["category"]?.stringValue != nil })

            let candidates = board["automation_candidates"]?.arrayValue ?? []
            #expect(candidates.count <= DashboardSummary.candidateCount)
            let minutes = candidates.compactMap { $0["estimated_minutes_saved"]?.testNumber }
            #expect(minutes == minutes.sorted(by: >), "most minutes saved first")

            #expect(try await server.get("/analytics/dashboard?days=7", headers: AdminAPITests.auth).status == 400)
            #expect(try await server.get("/analytics/dashboard").status == 401)
            #expect(try await server.get("/analytics/dashboard", headers: [("Authorization", "Bearer wrong")]).status == 401)
        }
    }
}
