import Foundation
import MailHookCore

extension SQLStore {
    /// The keys of the transaction lock that lets one fold at a time (of any replica) merge into
    /// `email_patterns`: two int4 keys, a key space apart from the session locks' int8 keys.
    static let patternFoldLock: (Int32, Int32) = (0x4D48, 0x666F)

    /// The completion's record of its email's pattern: an insert into `pattern_observations`,
    /// which no other completion waits on. With `source` (PostgreSQL's CTE of the processing row
    /// the completion moved to completed) it inserts one row per row `source` returns, so a
    /// repeated completion records nothing.
    static func recordObservation(_ p: PatternObservation, from source: String?) -> SQLStatement {
        var statement: SQLStatement = """
            INSERT INTO pattern_observations (pattern_id, pattern_type, description, pattern_signature, email_id, category, sender_domain,
                seen_at, automation_potential, confidence)
            SELECT \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(p.emailId), \(p.category), \(p.senderDomain),
                \(p.seenAt), \(p.automationPotential), \(p.confidence)
            """
        if let source { statement.append(" FROM \(raw: source)") }
        return statement
    }

    /// Observations one fold takes at most: a bounded transaction and `IN` list.
    public static let foldBatch = 500

    /// Merges up to `limit` (at most ``foldBatch``) recorded observations, oldest first, into
    /// `email_patterns` and deletes them, in one transaction: each is counted once, whoever folds
    /// and whenever. Returns how many it took. Stored rows are outside input: an observation this version cannot read is deleted
    /// uncounted, and a damaged pattern row is merged into as leniently as ``PatternTally`` reads.
    @discardableResult
    public func foldPatterns(limit: Int = foldBatch) async throws -> Int {
        // Most calls find nothing: a read says so without a write transaction (SQLite's writer is
        // the receive path's too).
        guard try await !database.read("SELECT id FROM pattern_observations LIMIT 1").isEmpty else { return 0 }
        let now = now()
        let dialect = dialect
        return try await database.transaction { db in
            if dialect == .postgres {
                try await db.run("SELECT pg_advisory_xact_lock(\(raw: String(Self.patternFoldLock.0)), \(raw: String(Self.patternFoldLock.1)))")
            }
            let rows = try await db.run("""
                SELECT id, pattern_id, pattern_type, description, pattern_signature, email_id, category, sender_domain, seen_at,
                    automation_potential, confidence
                FROM pattern_observations ORDER BY id LIMIT \(min(max(limit, 1), Self.foldBatch))
                """)
            guard !rows.isEmpty else { return 0 }
            let observations = rows.compactMap(Self.observation)
            var order: [String] = []
            var byPattern: [String: [PatternObservation]] = [:]
            for o in observations {
                if byPattern[o.patternId] == nil { order.append(o.patternId) }
                byPattern[o.patternId, default: []].append(o)
            }
            // Only unreadable rows: nothing to merge, and `IN ()` is no SQL.
            var stored: [String: PatternTally] = [:]
            if !order.isEmpty { stored = try await Self.storedTallies(order, dialect: dialect, on: db) }
            for patternId in order {
                guard let seen = byPattern[patternId], let first = seen.first else { continue }
                if let tally = stored[patternId] {
                    try await Self.update(patternId, to: seen.reduce(tally) { $0.adding($1) }, now: now, on: db)
                } else {
                    let tally = seen.dropFirst().reduce(PatternTally(first: first)) { $0.adding($1) }
                    try await Self.insert(first, as: tally, firstSeen: seen.map(\.seenAt).min() ?? first.seenAt, on: db)
                }
            }
            // By id, not by range: on PostgreSQL a lower id may commit after a higher one was read.
            try await db.run("DELETE FROM pattern_observations WHERE id IN (\(list: rows.compactMap { $0.int64("id") }))")
            return rows.count
        }
    }

    /// Merges until nothing is left or `rounds` folds ran (readers call it to see every completion).
    public func foldAllPatterns(rounds: Int = 20) async throws {
        for _ in 0..<rounds {
            if try await foldPatterns(limit: Self.foldBatch) < Self.foldBatch { return }
        }
    }

    static func observation(_ row: SQLRow) -> PatternObservation? {
        guard let patternId = row.string("pattern_id"), let type = row.value("pattern_type", as: PatternType.self),
            let emailId = row.string("email_id"), let category = row.value("category", as: Category.self),
            let seenAt = row.date("seen_at")
        else { return nil }
        return PatternObservation(
            patternId: patternId, patternType: type, signature: row.string("pattern_signature") ?? "", description: row.string("description") ?? "",
            emailId: emailId, category: category, senderDomain: row.string("sender_domain"), seenAt: seenAt,
            automationPotential: bounded(row.double("automation_potential"), 1), confidence: bounded(row.double("confidence"), 100))
    }

    /// A stored mean or share, within 0…`upper` (0 when it is no number): averaging a damaged
    /// 1e308 would overflow to infinity, and infinity times a zero count is NaN.
    private static func bounded(_ value: Double?, _ upper: Double) -> Double {
        guard let value, value.isFinite else { return 0 }
        return min(max(value, 0), upper)
    }

    /// The stored rows of these patterns; PostgreSQL locks them against writers outside the fold.
    private static func storedTallies(_ patternIds: [String], dialect: SQLDialect, on db: any SQLExecutor) async throws -> [String: PatternTally] {
        var tallies: [String: PatternTally] = [:]
        var statement: SQLStatement = """
            SELECT pattern_id, frequency, last_seen, automation_potential, confidence_level, sample_emails, affected_categories, sender_patterns
            FROM email_patterns WHERE pattern_id IN (\(list: patternIds))
            """
        if dialect == .postgres { statement.append(" FOR UPDATE") }
        for row in try await db.run(statement) {
            guard let id = row.string("pattern_id") else { continue }
            tallies[id] = PatternTally(
                frequency: row.int("frequency") ?? 0, lastSeen: row.date("last_seen") ?? .distantPast,
                automationPotential: bounded(row.double("automation_potential"), 1), confidence: bounded(row.double("confidence_level"), 100),
                sampleEmails: row.string("sample_emails"), affectedCategories: row.string("affected_categories"),
                senderPatterns: row.string("sender_patterns"))
        }
        return tallies
    }

    private static func insert(_ p: PatternObservation, as tally: PatternTally, firstSeen: Date, on db: any SQLExecutor) async throws {
        try await db.run("""
            INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
            VALUES (\(p.patternId), \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(StorableCount.int32(tally.frequency)), \(firstSeen),
                \(tally.lastSeen), \(tally.automationPotential), \(tally.confidence), \(json: tally.samplesJSON), \(tally.samples.count),
                \(json: tally.categoriesJSON), \(json: tally.sendersJSON))
            """)
    }

    private static func update(_ patternId: String, to tally: PatternTally, now: Date, on db: any SQLExecutor) async throws {
        try await db.run("""
            UPDATE email_patterns SET frequency = \(StorableCount.int32(tally.frequency)), last_seen = \(tally.lastSeen), automation_potential = \(tally.automationPotential),
                confidence_level = \(tally.confidence), sample_emails = \(json: tally.samplesJSON), sample_count = \(tally.samples.count),
                affected_categories = \(json: tally.categoriesJSON), sender_patterns = \(json: tally.sendersJSON), updated_at = \(now)
            WHERE pattern_id = \(patternId)
            """)
    }
}
