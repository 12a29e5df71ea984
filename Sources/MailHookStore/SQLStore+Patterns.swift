import Foundation
import MailHookCore

extension SQLStore {
    /// Counts one email under its subject pattern: two statements, a locking read and the
    /// update, or, for a new pattern, the read and the insert. Of two concurrent first sightings
    /// one inserts; the other's insert does nothing (PostgreSQL waits for the first to commit),
    /// and it counts itself on top of the row the first inserted.
    static func countPattern(_ p: PatternObservation, now: Date, dialect: SQLDialect, on db: any SQLExecutor) async throws {
        // Most emails belong to a pattern seen before: read it first, insert only when it is new.
        var row = try await Self.lockedPattern(p.patternId, dialect: dialect, on: db)
        if row == nil {
            let first = PatternTally(first: p)
            let inserted = try await db.run("""
                INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                    automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
                VALUES (\(p.patternId), \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(first.frequency), \(p.seenAt),
                    \(first.lastSeen), \(first.automationPotential), \(first.confidence), \(json: first.samplesJSON), \(first.samples.count),
                    \(json: first.categoriesJSON), \(json: first.sendersJSON))
                ON CONFLICT DO NOTHING RETURNING id
                """)
            guard inserted.isEmpty else { return }
            // Another completion (PostgreSQL) inserted it meanwhile: count this email on top.
            row = try await Self.lockedPattern(p.patternId, dialect: dialect, on: db)
        }
        guard let row else { return }
        let tally = PatternTally(
            frequency: row.int("frequency") ?? 0, lastSeen: row.date("last_seen") ?? p.seenAt,
            automationPotential: row.double("automation_potential") ?? 0, confidence: row.double("confidence_level") ?? 0,
            sampleEmails: row.string("sample_emails"), affectedCategories: row.string("affected_categories"),
            senderPatterns: row.string("sender_patterns")
        ).adding(p)
        try await db.run("""
            UPDATE email_patterns SET frequency = \(tally.frequency), last_seen = \(tally.lastSeen), automation_potential = \(tally.automationPotential),
                confidence_level = \(tally.confidence), sample_emails = \(json: tally.samplesJSON), sample_count = \(tally.samples.count),
                affected_categories = \(json: tally.categoriesJSON), sender_patterns = \(json: tally.sendersJSON), updated_at = \(now)
            WHERE pattern_id = \(p.patternId)
            """)
    }

    /// The pattern's counts, locked until the transaction ends (PostgreSQL), or nil when it is new.
    static func lockedPattern(_ patternId: String, dialect: SQLDialect, on db: any SQLExecutor) async throws -> SQLRow? {
        try await db.run("""
            SELECT frequency, last_seen, automation_potential, confidence_level, sample_emails, affected_categories, sender_patterns
            FROM email_patterns WHERE pattern_id = \(patternId)\(raw: dialect.forUpdate)
            """).first
    }
}
