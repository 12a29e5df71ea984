import Foundation
import Logging
import MailHookCore
import MailHookServer
@testable import MailHookStore
import MailHookTestSupport
import Testing

/// Completions record their pattern as an observation; the fold counts observations into
/// `email_patterns` and deletes them in one transaction, so each is counted exactly once:
/// whoever folds, however many fold at once, and when a fold fails halfway.
@Suite("Pattern fold")
struct PatternFoldTests {
    typealias P = PipelineStoreTests

    @Test("a completion leaves its pattern to the fold; folds racing each other and completions count every email once (SQLite)")
    func racingSQLite() async throws { try await racing(.sqlite) }

    @Test("a completion leaves its pattern to the fold; folds racing each other and completions count every email once (PostgreSQL)", .postgres)
    func racingPostgres() async throws { try await racing(.postgres) }

    func racing(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            try await P.email("m0", store: store)
            try await store.completeProcessing(P.completion("m0", at: P.seen, automation: 1))
            // The completion wrote the observation only; the pattern row waits for a fold.
            #expect(try await sql.database.read("SELECT count(*) AS n FROM email_patterns").first?.int("n") == 0)
            #expect(try await P.rows(store, .patternObservations).count == 1)

            let emails = (1...60).map { "m\($0)" }
            for id in emails { try await P.email(id, store: store) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, id) in emails.enumerated() {
                    var completion = P.completion(id, at: P.seen.addingTimeInterval(Double(index)), automation: 0)
                    if index % 2 == 1 { completion.pattern?.patternId = "pat-odd" }
                    group.addTask { try await store.completeProcessing(completion) }
                    // Four folders (replicas) taking small batches while completions go on.
                    if index % 15 == 0 {
                        group.addTask { for _ in 0..<10 { try await sql.foldPatterns(limit: 3) } }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await P.rows(store, .emailPatterns)
            #expect(try await P.rows(store, .patternObservations).isEmpty)
            let counts = Dictionary(uniqueKeysWithValues: rows.compactMap { row -> (String, Double)? in
                guard case .string(let id) = row["pattern_id"], let n = P.number(row["frequency"]) else { return nil }
                return (id, n)
            })
            #expect(counts == ["pat-0123456789abcdef": 31, "pat-odd": 30])
            let even = try #require(rows.first { $0["pattern_id"] == .string("pat-0123456789abcdef") })
            #expect(P.number(even["automation_potential"]).map { abs($0 - 1.0 / 31) < 1e-9 } == true)
            #expect(P.json(even["affected_categories"]) == .object(["SUPPORT": .number(31)]))
            // Ten samples, all of the pattern's own emails.
            let samples = P.json(even["sample_emails"])?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(samples.count == 10)
            #expect(Set(samples).isSubset(of: Set(["m0"] + stride(from: 1, through: 59, by: 2).map { "m\($0)" })))
        }
    }

    @Test("a fold that fails keeps its observations and counts nothing; the next one counts them once (SQLite)")
    func failedSQLite() async throws { try await failed(.sqlite) }

    @Test("a fold that fails keeps its observations and counts nothing; the next one counts them once (PostgreSQL)", .postgres)
    func failedPostgres() async throws { try await failed(.postgres) }

    func failed(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            for id in ["m1", "m2", "m3"] { try await P.email(id, store: store) }
            try await store.completeProcessing(P.completion("m1", at: P.seen, automation: 1))
            try await sql.foldPatterns()
            for id in ["m2", "m3"] { try await store.completeProcessing(P.completion(id, at: P.seen, automation: 0)) }
            // The fold's update of the pattern row fails (a trigger), after its reads.
            if database == .postgres {
                try await Self.exec(sql, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
                try await Self.exec(sql, "CREATE TRIGGER refuse BEFORE UPDATE ON email_patterns FOR EACH ROW EXECUTE FUNCTION refuse()")
            } else {
                try await Self.exec(sql, "CREATE TRIGGER refuse BEFORE UPDATE ON email_patterns BEGIN SELECT RAISE(ABORT, 'refused'); END")
            }
            await #expect(throws: (any Error).self) { try await sql.foldPatterns() }
            #expect(try await P.rows(store, .patternObservations).count == 2)
            try await Self.exec(sql, "DROP TRIGGER refuse\(raw: database == .postgres ? " ON email_patterns" : "")")
            #expect(try await sql.foldPatterns() == 2)
            let row = try #require(try await P.rows(store, .emailPatterns).first)
            #expect(P.number(row["frequency"]) == 3)
            #expect(P.number(row["automation_potential"]).map { abs($0 - 1.0 / 3) < 1e-9 } == true)
            #expect(try await P.rows(store, .patternObservations).isEmpty)
        }
    }

    @Test("stored observations and pattern rows are outside input: unreadable observations are dropped, a count at its limit stays there (SQLite)")
    func hostileSQLite() async throws { try await hostile(.sqlite) }

    @Test("stored observations and pattern rows are outside input: unreadable observations are dropped, a count at its limit stays there (PostgreSQL)", .postgres)
    func hostilePostgres() async throws { try await hostile(.postgres) }

    func hostile(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            for id in ["m1", "m2"] { try await P.email(id, store: store) }
            try await store.completeProcessing(P.completion("m1", at: P.seen, automation: 1))
            try await sql.foldPatterns()
            try await Self.exec(sql, "UPDATE email_patterns SET frequency = 2147483647")
            try await store.completeProcessing(P.completion("m2", at: P.seen, automation: 1))
            // Rows this version cannot read: a category it does not know, a pattern type it does
            // not know, a date that is not one, and a number that is not a number.
            let columns = "pattern_id, pattern_type, description, email_id, category, seen_at, automation_potential, confidence"
            let seen = P.seen
            try await Self.exec(sql, "INSERT INTO pattern_observations (\(raw: columns)) VALUES ('pat-x', 'subject', 'd', 'x1', 'SPAM', \(seen), 0, 0)")
            try await Self.exec(sql, "INSERT INTO pattern_observations (\(raw: columns)) VALUES ('pat-x', 'sender', 'd', 'x2', 'SUPPORT', \(seen), 0, 0)")
            if database == .sqlite {
                try await Self.exec(sql, "INSERT INTO pattern_observations (\(raw: columns)) VALUES ('pat-x', 'subject', 'd', 'x3', 'SUPPORT', 'yesterday', 0, 0)")
            }
            try await Self.exec(sql, """
                INSERT INTO pattern_observations (\(raw: columns)) VALUES ('pat-y', 'subject', 'd', 'y1', 'SUPPORT', \(seen), \(raw: database == .postgres ? "'NaN'" : "'many'"), 50)
                """)
            #expect(try await sql.foldPatterns() == (database == .sqlite ? 5 : 4))
            // A batch of nothing but unreadable rows is dropped too, not refused for ever.
            try await Self.exec(sql, "INSERT INTO pattern_observations (\(raw: columns)) VALUES ('pat-z', 'subject', 'd', 'z1', 'SPAM', \(seen), 0, 0)")
            #expect(try await sql.foldPatterns() == 1)
            let rows = try await P.rows(store, .emailPatterns)
            #expect(rows.compactMap { row -> String? in if case .string(let id) = row["pattern_id"] { id } else { nil } }.sorted() == ["pat-0123456789abcdef", "pat-y"])
            let saturated = try #require(rows.first { $0["pattern_id"] == .string("pat-0123456789abcdef") })
            #expect(P.number(saturated["frequency"]) == 2147483647)
            let y = try #require(rows.first { $0["pattern_id"] == .string("pat-y") })
            #expect(P.number(y["automation_potential"]) == 0)
            #expect(P.number(y["confidence_level"]) == 50)
            #expect(try await P.rows(store, .patternObservations).isEmpty)
        }
    }

    @Test("the pattern folder counts observations with no reader asking, and stops on shutdown (SQLite)")
    func folderSQLite() async throws { try await folder(.sqlite) }

    @Test("the pattern folder counts observations with no reader asking, and stops on shutdown (PostgreSQL)", .postgres)
    func folderPostgres() async throws { try await folder(.postgres) }

    func folder(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            let ready = ReadySignal()
            let folder = PatternFolder(store: store, interval: .milliseconds(20), batch: 2, startAfter: ready, logger: Logger(label: "test"))
            let running = Task { try await folder.run() }
            for id in ["m1", "m2", "m3", "m4", "m5"] {
                try await P.email(id, store: store)
                try await store.completeProcessing(P.completion(id, at: P.seen, automation: 1))
            }
            // Nothing is folded before the store is ready (migrations ran).
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await Self.count(sql, "pattern_observations") == 5)
            ready.open()
            // Read without folding: the folder alone empties the table, in batches of two.
            try await eventually(timeout: .seconds(20)) {
                try await Self.count(sql, "pattern_observations") == 0
            }
            let frequency = try await sql.database.read("SELECT frequency FROM email_patterns").first?.int("frequency")
            #expect(frequency == 5)
            running.cancel()
            try? await running.value
        }
    }

    @Test("reading the patterns folds what waits first; with nothing waiting it costs two reads and no write (SQLite)")
    func readingSQLite() async throws { try await reading(.sqlite) }

    @Test("reading the patterns folds what waits first; with nothing waiting it costs two reads and no write (PostgreSQL)", .postgres)
    func readingPostgres() async throws { try await reading(.postgres) }

    func reading(_ database: TestDatabase) async throws {
        try await DecisionStoreTests.withCountingStore(database) { store, counting in
            for id in ["m1", "m2"] {
                try await P.email(id, store: store)
                try await store.completeProcessing(P.completion(id, at: P.seen, automation: 1))
            }
            var query = PatternQuery()
            query.minFrequency = 1
            #expect(try await store.patterns(query).patterns.map(\.frequency) == [2])
            counting.reset()
            #expect(try await store.patterns(query).patterns.map(\.frequency) == [2])
            #expect(counting.writes == 0)
            #expect(counting.reads == 2, "the probe for observations, then the page")
        }
    }

    @Test("a pattern keeps its 100 most frequent sender domains, the one just counted always among them")
    func senderCap() throws {
        var tally = PatternTally(first: try #require(P.completion("m0", at: P.seen, automation: 1).pattern))
        for n in 0..<300 {
            var observation = try #require(P.completion("m\(n)", at: P.seen, automation: 1).pattern)
            observation.senderDomain = n < 50 ? "frequent\(n % 5).example" : "d\(n).example"
            tally = tally.adding(observation)
        }
        #expect(tally.senders.count == PatternTally.maxSenders)
        #expect((0..<5).allSatisfy { tally.senders["frequent\($0).example"] == 10 })
        #expect(tally.senders["d299.example"] == 1, "the domain just counted stays")
        #expect(tally.senders["contoso.com"] == 1)
    }

    static func count(_ store: SQLStore, _ table: String) async throws -> Int? {
        try await store.database.read("SELECT count(*) AS n FROM \(raw: table)").first?.int("n")
    }

    static func exec(_ store: SQLStore, _ statement: SQLStatement) async throws {
        _ = try await store.database.write(statement, urgent: false)
    }
}
