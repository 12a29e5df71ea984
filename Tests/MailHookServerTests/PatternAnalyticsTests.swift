import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// `GET /analytics/patterns` after 50 emails (five subjects, ten times each, numbered) through the
/// real pipeline: frequencies, automation potential recomputed here from the stored decisions, and
/// keyset pages that list each pattern once.
@Suite("Pattern analytics")
struct PatternAnalyticsTests {
    @Test("patterns, their automation potential and pages match the stored decisions (SQLite)")
    func patternsSQLite() async throws { try await patterns(.sqlite) }

    @Test("patterns, their automation potential and pages match the stored decisions (PostgreSQL)", .postgres)
    func patternsPostgres() async throws { try await patterns(.postgres) }

    static let weight: [String: Double] = ["AUTO_RESPOND": 100, "SUGGEST_RESPONSE": 60, "HUMAN_REVIEW": 30, "ESCALATE": 0]

    func patterns(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }

            // Expected potential per subject template, from each email's stored decision.
            var decisions: [Int: [Double]] = [:]
            for row in try await server.store.tableRows(.processingResults, limit: 1000) {
                let email = row["email_id"]?.stringValue ?? ""
                guard let n = Int(email.split(separator: "-").last ?? "") else { continue }
                var routing = row["confidence_routing"] ?? .null
                if let text = routing.stringValue { routing = try JSONValue.parse(Array(text.utf8)) }
                decisions[n % AnalyticsAPITests.subjects.count, default: []].append(Self.weight[routing["decision"]?.stringValue ?? ""] ?? -1)
            }
            #expect(decisions.values.map(\.count) == Array(repeating: 10, count: 5))

            func get(_ query: String) async throws -> JSONValue {
                let reply = try await server.get("/analytics/patterns?\(query)", headers: AdminAPITests.auth)
                #expect(reply.status == 200, "\(query): \(reply.body)")
                return try JSONValue.parse(Array(reply.body.utf8))
            }
            let all = try await get("limit=500")
            let patterns = all["patterns"]?.arrayValue ?? []
            #expect(patterns.count == 5, "\(all)")
            #expect(all["next_cursor"] == .null)
            for pattern in patterns {
                #expect(pattern["frequency"] == .number(10))
                let samples = pattern["sample_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(samples.count == 10)
                let template = try #require(samples.first.flatMap { Int($0.split(separator: "-").last ?? "") }) % 5
                #expect(samples.allSatisfy { (Int($0.split(separator: "-").last ?? "") ?? -1) % 5 == template }, "one template per pattern")
                let values = decisions[template] ?? []
                let expected = (values.reduce(0, +) / Double(values.count) * 10).rounded() / 10
                #expect(pattern["automation_potential"] == .number(expected), "\(pattern)")
                #expect(pattern["estimated_minutes_saved"] == .number((10 * expected / 100 * PatternSummary.minutesPerEmail).rounded()))
                #expect(pattern["categories"]?.objectValue?.values.compactMap(\.testNumber).reduce(0, +) == 10)
                #expect(pattern["first_seen"]?.stringValue != nil && pattern["last_seen"]?.stringValue != nil)
            }

            // Pages of two: every pattern once, in the same order.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await get("limit=2" + (cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? ""))
                seen += page["patterns"]?.arrayValue?.compactMap { $0["pattern_id"]?.stringValue } ?? []
                cursor = page["next_cursor"]?.stringValue
            } while cursor != nil && seen.count < 20
            #expect(seen == patterns.compactMap { $0["pattern_id"]?.stringValue })

            #expect(try await get("min_frequency=11")["patterns"]?.arrayValue?.isEmpty == true)
            let potentials = patterns.compactMap { $0["automation_potential"]?.testNumber }
            let threshold = Int((potentials.max() ?? 0).rounded(.down))
            let above = try await get("min_automation_potential=\(threshold)")["patterns"]?.arrayValue ?? []
            #expect(above.count == potentials.filter { $0 >= Double(threshold) }.count)

            for bad in ["min_frequency=0", "min_automation_potential=101", "limit=501", "cursor=nope", "cursor=1:a;b", "x=1"] {
                #expect(try await server.get("/analytics/patterns?\(bad)", headers: AdminAPITests.auth).status == 400, "\(bad)")
            }
            #expect(try await server.get("/analytics/patterns").status == 401)
        }
    }
}
