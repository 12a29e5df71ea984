import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// A stored pattern row is outside input too, and so is a stored observation: the fold reads a
/// damaged one the same lenient way on both databases and neither fails nor traps on it.
@Suite("Pattern rows")
struct PatternRowTests {
    typealias P = PipelineStoreTests

    @Test("a damaged pattern row is counted on leniently: wrong shapes read as empty, wrong entries dropped (SQLite)")
    func damagedSQLite() async throws { try await damaged(.sqlite) }

    @Test("a damaged pattern row is counted on leniently: wrong shapes read as empty, wrong entries dropped (PostgreSQL)", .postgres)
    func damagedPostgres() async throws { try await damaged(.postgres) }

    func damaged(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            for id in ["m1", "m2", "m3"] { try await P.email(id, store: store) }
            try await store.completeProcessing(P.completion("m1", at: P.seen, automation: 1))
            try await sql.foldPatterns()
            _ = try await sql.database.write("""
                UPDATE email_patterns SET sample_emails = \(json: #"["m0", 7, null, "m1"]"#), affected_categories = \(json: #"{"SUPPORT": 2.9, "INFORMATION": "many", "ESCALATION": 1}"#),
                    sender_patterns = \(json: #"["contoso.com"]"#), confidence_level = NULL
                """, urgent: false)
            try await store.completeProcessing(P.completion("m2", at: P.seen.addingTimeInterval(60), automation: 0))
            var row = try #require(try await P.rows(store, .emailPatterns).first)
            #expect(P.number(row["frequency"]) == 2)
            #expect(P.json(row["sample_emails"]) == .array([.string("m0"), .string("m1"), .string("m2")]))
            #expect(P.number(row["sample_count"]) == 3)
            #expect(P.json(row["affected_categories"]) == .object(["SUPPORT": .number(3), "ESCALATION": .number(1)]))
            #expect(P.json(row["sender_patterns"]) == .object(["contoso.com": .number(1)]))
            #expect(P.number(row["automation_potential"]) == 0.5)
            #expect(P.number(row["confidence_level"]).map { abs($0 - 40) < 1e-9 } == true, "a missing mean counts as 0")

            // Columns of the wrong kind altogether, and an email already among the samples.
            _ = try await sql.database.write("""
                UPDATE email_patterns SET sample_emails = \(json: #"{"m3": true}"#), affected_categories = \(json: #""text""#),
                    sender_patterns = NULL
                """, urgent: false)
            try await store.completeProcessing(P.completion("m3", at: P.seen, automation: 1, domain: nil))
            row = try #require(try await P.rows(store, .emailPatterns).first)
            #expect(P.number(row["frequency"]) == 3)
            #expect(P.json(row["sample_emails"]) == .array([.string("m3")]))
            #expect(P.json(row["affected_categories"]) == .object(["SUPPORT": .number(1)]))
            #expect(P.json(row["sender_patterns"]) == .object([:]))
        }
    }

    @Test("concurrent completions of one email count its pattern once (SQLite)")
    func repeatedSQLite() async throws { try await repeated(.sqlite) }

    @Test("concurrent completions of one email count its pattern once (PostgreSQL)", .postgres)
    func repeatedPostgres() async throws { try await repeated(.postgres) }

    func repeated(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            for id in ["m1", "m2"] { try await P.email(id, store: store) }
            try await store.completeProcessing(P.completion("m1", at: P.seen, automation: 1))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await store.completeProcessing(P.completion("m2", at: P.seen, automation: 0)) } }
                try await group.waitForAll()
            }
            let row = try #require(try await P.rows(store, .emailPatterns).first)
            #expect(P.number(row["frequency"]) == 2)
            #expect(P.number(row["automation_potential"]) == 0.5)
        }
    }

    @Test("first sightings of new patterns racing each other all count, none fails (SQLite)")
    func firstSightingsSQLite() async throws { try await firstSightings(.sqlite) }

    @Test("first sightings of new patterns racing each other all count, none fails (PostgreSQL)", .postgres)
    func firstSightingsPostgres() async throws { try await firstSightings(.postgres) }

    /// Each round, eight emails of a pattern not seen before complete at once.
    func firstSightings(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let rounds = 25
            for round in 0..<rounds {
                let ids = (0..<8).map { "r\(round)-\($0)" }
                for id in ids { try await P.email(id, store: store) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for id in ids {
                        var completion = P.completion(id, at: P.seen, automation: 0.5)
                        completion.pattern?.patternId = "pat-round-\(round)"
                        group.addTask { try await store.completeProcessing(completion) }
                    }
                    try await group.waitForAll()
                }
            }
            let rows = try await P.rows(store, .emailPatterns)
            #expect(rows.count == rounds)
            #expect(rows.allSatisfy { P.number($0["frequency"]) == 8 })
        }
    }
}
