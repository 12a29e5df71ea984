import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// Long analytics windows read closed days from the day cache; these tests seed emails over
/// past days and check every report against the same report counted live, after the cache is
/// filled, after rows of cached days change, and with a cached day tampered with.
@Suite("Analytics day cache")
struct AnalyticsDayCacheTests {
    @Test("cached and live reports agree; a change to a cached day's rows is seen at once (SQLite)")
    func cacheSQLite() async throws { try await cache(.sqlite) }

    @Test("cached and live reports agree; a change to a cached day's rows is seen at once (PostgreSQL)", .postgres)
    func cachePostgres() async throws { try await cache(.postgres) }

    @Test("a write moves the version of each day that is over and never today's (SQLite)")
    func touchSQLite() async throws { try await touch(.sqlite) }

    @Test("a write moves the version of each day that is over and never today's (PostgreSQL)", .postgres)
    func touchPostgres() async throws { try await touch(.postgres) }

    func touch(_ database: TestDatabase) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { dataStore in
            try await dataStore.migrate()
            let store = dataStore
            let today = String(GraphDate.format(Date()).prefix(10))
            let past = ["2026-01-02", "2025-12-31"]
            // The database's own rule, as the triggers apply it: PostgreSQL's function, SQLite's view.
            func touch(_ days: [String?]) async throws {
                if database == .postgres {
                    let list = days.map { $0.map { "'\($0)'" } ?? "NULL" }.joined(separator: ", ")
                    _ = try await store.database.write("SELECT analytics_touch_days(ARRAY[\(raw: list)]::text[])", urgent: false)
                } else {
                    for day in days { _ = try await store.database.write("INSERT INTO analytics_touched_days (day) VALUES (\(day))", urgent: false) }
                }
            }
            func versions() async throws -> [String: Int] {
                var out: [String: Int] = [:]
                for row in try await store.database.read("SELECT day, version FROM analytics_day_versions") {
                    if let day = row.string("day") { out[day] = row.int("version") }
                }
                return out
            }
            try await touch([today, nil, today])
            #expect(try await versions() == [:], "today's rows need no version")
            try await touch([today, past[0], nil, past[1]])
            #expect(try await versions() == [past[0]: 1, past[1]: 1])
            try await touch([past[1]])
            #expect(try await versions() == [past[0]: 1, past[1]: 2])
        }
    }

    struct Reports: Equatable {
        var processing: [ProcessingAnalytics]
        var classification: [ClassificationAnalytics]
        var simulation: [RoutingSimulation]
        var dashboard: DashboardSummary
    }

    static func reports(_ store: SQLStore) async throws -> Reports {
        var strict = MailHookConfiguration.Routing()
        strict.thresholds.suggestResponse = 80
        var processing: [ProcessingAnalytics] = []
        var classification: [ClassificationAnalytics] = []
        var simulation: [RoutingSimulation] = []
        for days in [3, 7, 30] {
            processing.append(try await store.processingAnalytics(days: days))
            classification.append(try await store.classificationAnalytics(days: days))
            var run = RoutingSimulation(days: days)
            for sample in try await store.routingSamples(days: days) { run.add(sample, policy: RoutingPolicy(strict)) }
            simulation.append(run)
        }
        return Reports(processing: processing, classification: classification, simulation: simulation, dashboard: try await store.dashboard())
    }

    func cache(_ database: TestDatabase) async throws {
        let config = try await database.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { dataStore in
            try await dataStore.migrate()
            let store = dataStore
            let live = SQLStore(database: store.database, dayCache: false)
            let now = Date()
            let categories = ["PURCHASING", "SUPPORT", "INFORMATION", "ESCALATION", "CONSULTATION"]
            let decisions = ["AUTO_RESPOND", "SUGGEST_RESPONSE", "HUMAN_REVIEW", "ESCALATE"]
            let urgencies = ["LOW", "MEDIUM", "HIGH", "CRITICAL"]
            // 12 past days and today, every few hours, so the 7-day window starts inside a seeded day.
            var n = 0
            for day in 0...12 {
                for hour in stride(from: 0, to: 24, by: 5) {
                    let at = now.addingTimeInterval(-Double(day) * 86_400 - Double(hour) * 3_600)
                    n += 1
                    let id = "cache-\(n)"
                    _ = try await store.database.write("""
                        INSERT INTO email_messages (id, sender_email, subject, body, received_datetime, processing_status, created_at, updated_at)
                        VALUES (\(id), 'user@contoso.example', \("Request \(n % 3)"), 'body', \(at), 'completed', \(at), \(at))
                        """, urgent: false)
                    _ = try await store.database.write("""
                        INSERT INTO classification_results (id, email_id, category, confidence, reasoning, urgency, suggested_action, model_used, prompt_version, created_at)
                        VALUES (\("c-\(n)"), \(id), \(categories[n % 5]), \(Double(50 + n % 50)), 'seeded', \(urgencies[n % 4]), 'seeded',
                            \(n % 7 == 0 ? nil : "model-\(n % 2)"), 'p-1', \(at))
                        """, urgent: false)
                    let context = #"{"stages":{"resolve":\#(n % 7),"classify":\#(n % 40),"act":\#(n % 90)}}"#
                    _ = try await store.database.write("""
                        INSERT INTO processing_results (id, email_id, status, started_at, completed_at, action_taken, response_sent, escalation_created,
                            processing_time_ms, processing_context, confidence_routing, created_at, updated_at)
                        VALUES (\("p-\(n)"), \(id), \(n % 9 == 0 ? "failed" : "completed"), \(at), \(at),
                            \(n % 2 == 0 ? "draft_recorded" : "escalation_recorded"), \(false), \(n % 5 == 0), \(5 + n % 300),
                            \(json: context), \(json: #"{"decision":"\#(decisions[n % 4])"}"#), \(at), \(at))
                        """, urgent: false)
                    if n % 3 == 0 {
                        _ = try await store.database.write("""
                            INSERT INTO classification_feedback (id, email_id, correct_category, rating, created_at)
                            VALUES (\("f-\(n)"), \(id), \(n % 6 == 0 ? "SUPPORT" : categories[n % 5]), 'correct', \(at))
                            """, urgent: false)
                    }
                }
            }
            let first = try await Self.reports(store)
            #expect(first == (try await Self.reports(live)), "a cold cache fills with what the rows say")
            let cachedDays = try await store.database.read("SELECT COUNT(*) AS n FROM analytics_day_cache WHERE version >= 0").first?.int("n") ?? 0
            #expect(cachedDays >= 10, "the closed days are cached: \(cachedDays)")
            #expect(first.processing[2].totals.processed == n)
            #expect(first.classification[2].classified == n)
            #expect(first.simulation[2].emails == n)
            #expect(try await Self.reports(store) == first, "read again from the cache")

            // Rows of cached days change: a run fails late, a new run starts on an old day, an email
            // is classified again, feedback arrives.
            let old = now.addingTimeInterval(-5 * 86_400)
            _ = try await store.database.write("UPDATE processing_results SET status = 'failed', processing_time_ms = 9999 WHERE id = 'p-40'", urgent: false)
            _ = try await store.database.write("""
                INSERT INTO processing_results (id, email_id, status, started_at, processing_time_ms, confidence_routing, created_at, updated_at)
                VALUES ('p-late', 'cache-41', 'completed', \(old), 7777, '{"decision":"HUMAN_REVIEW"}', \(old), \(old))
                """, urgent: false)
            _ = try await store.database.write("UPDATE classification_results SET category = 'ESCALATION', confidence = 99 WHERE id = 'c-50'", urgent: false)
            _ = try await store.database.write("""
                INSERT INTO classification_feedback (id, email_id, correct_category, rating, created_at)
                VALUES ('f-late', 'cache-52', 'PURCHASING', 'wrong', \(now))
                """, urgent: false)
            let changed = try await Self.reports(store)
            #expect(changed == (try await Self.reports(live)))
            #expect(changed != first)
            #expect(changed.processing[2].totals.processed == n + 1)

            // A cached day that says something else than its rows is read as it is while its
            // version stands (the cache is what the report reads) ...
            let key = String(GraphDate.format(old).prefix(10))
            _ = try await store.database.write("UPDATE analytics_day_totals SET processed = processed + 1000 WHERE day = \(key)", urgent: false)
            #expect(try await store.processingAnalytics(days: 30).totals.processed == n + 1 + 1000)
            // A count no computation could have written reads as nothing, without trapping.
            _ = try await store.database.write("UPDATE analytics_day_totals SET processed = -1000000 WHERE day = \(key)", urgent: false)
            let negative = try await store.processingAnalytics(days: 30).totals.processed
            #expect(negative >= 0 && negative < n + 1)
            // ... and is counted again as soon as one of its rows changes.
            _ = try await store.database.write("UPDATE processing_results SET action_taken = 'review_recorded' WHERE id = 'p-late'", urgent: false)
            let repaired = try await Self.reports(store)
            #expect(repaired == (try await Self.reports(live)))
            #expect(repaired.processing[2].totals.processed == n + 1)
        }
    }
}
