import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// The admin analytics over a seeded pipeline run (the real stack, the offline classifier), checked
/// against counts taken independently from the stored rows.
@Suite("Analytics API")
struct AnalyticsAPITests {
    /// Emails of several categories and urgencies.
    static let subjects = [
        ("Printer jammed on floor", "It jams on every page since this morning."),
        ("Please order a new laptop", "Please order a laptop for our new hire starting Monday; budget approved."),
        ("FYI: office closed on Friday", "Just letting you know the office is closed on Friday, no action needed."),
        ("URGENT: email server down for everyone", "Nobody can send or receive mail since 9:00, the whole company is affected."),
        ("Advice on moving file shares to the cloud", "Could we meet to discuss options and best practice for moving our file shares?"),
    ]

    static func event(_ n: Int) -> String {
        let (subject, body) = subjects[n % subjects.count]
        return #"{"id": "evt-\#(n)", "type": "email.received", "message": {"from": {"address": "user\#(n)@contoso.example"}, "subject": "\#(subject) \#(n)", "bodyText": "\#(body)"}}"#
    }

    @Test("classification analytics match the stored rows; feedback moves the agreement rate, the latest per email counting (SQLite)")
    func classificationSQLite() async throws { try await classification(.sqlite) }

    @Test("classification analytics match the stored rows; feedback moves the agreement rate, the latest per email counting (PostgreSQL)", .postgres)
    func classificationPostgres() async throws { try await classification(.postgres) }

    func classification(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, Self.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            func analytics(_ query: String = "days=7") async throws -> JSONValue {
                let reply = try await server.get("/analytics/classification?\(query)", headers: AdminAPITests.auth)
                #expect(reply.status == 200, "\(reply.body)")
                return try JSONValue.parse(Array(reply.body.utf8))
            }

            // Independent counts from the stored classifications.
            let rows = try await server.store.tableRows(.classificationResults, limit: 1000)
            #expect(rows.count == count)
            var perCategory: [String: Int] = [:]
            var perUrgency: [String: Int] = [:]
            var buckets: [Int: Int] = [:]
            var categoryOf: [String: String] = [:]
            for row in rows {
                let category = row["category"]?.stringValue ?? "?"
                perCategory[category, default: 0] += 1
                perUrgency[row["urgency"]?.stringValue ?? "?", default: 0] += 1
                if case .number(let confidence) = row["confidence"] { buckets[min(90, Int(confidence / 10) * 10), default: 0] += 1 }
                categoryOf[row["email_id"]?.stringValue ?? ""] = category
            }
            #expect(perCategory.count >= 3, "the seed spans categories: \(perCategory)")

            let report = try await analytics()
            #expect(report["classified"] == .number(Double(count)))
            let categories = report["categories"]?.arrayValue ?? []
            #expect(Dictionary(uniqueKeysWithValues: categories.compactMap { c in c["category"]?.stringValue.map { ($0, Int(c["count"]?.testNumber ?? -1)) } }) == perCategory)
            let urgency = report["urgency"]?.arrayValue ?? []
            #expect(Dictionary(uniqueKeysWithValues: urgency.compactMap { u in u["value"]?.stringValue.map { ($0, Int(u["count"]?.testNumber ?? -1)) } }) == perUrgency)
            let histogram = report["confidence_histogram"]?.arrayValue ?? []
            #expect(histogram.count == 10)
            for bucket in histogram {
                let from = Int(bucket["from"]?.testNumber ?? -1)
                #expect(Int(bucket["count"]?.testNumber ?? -1) == buckets[from, default: 0], "bucket \(from)")
            }
            #expect(report["models"]?.arrayValue?.first?["model"]?.stringValue == LocalClassifier.modelName)
            #expect(report["llm_fallbacks"] == .number(0))
            #expect(report["feedback"]?["rated"] == .number(0))
            #expect(report["feedback"]?["agreement_rate"] == .null)

            // Feedback: one agreeing, one not → 50 %; the second corrected again to agree → 100 %.
            func feedback(_ n: Int, category: String) async throws {
                let body = #"{"email_id": "helpdesk:evt-\#(n)", "correct_category": "\#(category)", "rating": "correct"}"#
                let reply = try await server.post("/analytics/feedback", body: body, headers: [("Content-Type", "application/json")] + AdminAPITests.auth)
                #expect(reply.status == 201, "\(reply.body)")
            }
            let first = try #require(categoryOf["helpdesk:evt-1"])
            let second = try #require(categoryOf["helpdesk:evt-2"])
            let other = MailHookCore.Category.allCases.map(\.rawValue).first { $0 != second } ?? "SUPPORT"
            try await feedback(1, category: first)
            try await feedback(2, category: other)
            let split = try await analytics()
            #expect(split["feedback"]?["rated"] == .number(2))
            #expect(split["feedback"]?["agreement_rate"] == .number(0.5))
            let cells = split["feedback"]?["confusion"]?.arrayValue ?? []
            #expect(cells.contains { $0["classified"]?.stringValue == second && $0["corrected"]?.stringValue == other && $0["count"] == .number(1) })
            let perCategoryAgreement = split["feedback"]?["per_category"]?.arrayValue ?? []
            #expect(perCategoryAgreement.first { $0["category"]?.stringValue == second }?["agreeing"] == .number(first == second ? 1 : 0))

            try await feedback(2, category: second)
            let agreed = try await analytics()
            #expect(agreed["feedback"]?["rated"] == .number(2), "the latest feedback per email counts, not every one")
            #expect(agreed["feedback"]?["agreement_rate"] == .number(1))

            for bad in ["days=0", "days=x", "days=99999", "limit=5"] {
                #expect(try await server.get("/analytics/classification?\(bad)", headers: AdminAPITests.auth).status == 400, "\(bad)")
            }
            #expect(try await server.get("/analytics/classification").status == 401)
        }
    }
}

extension JSONValue {
    /// The number, when this is one.
    var testNumber: Double? {
        if case .number(let n) = self { return n }
        return nil
    }
}
