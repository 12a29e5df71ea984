import Foundation
import MailHookCore

extension SQLStore {
    /// SQLite: counts one email under its subject pattern by reading the row, merging in Swift
    /// (``PatternTally``) and writing it back, inside the completion's transaction (the single
    /// writer makes the read and the write one step). PostgreSQL merges in SQL instead, in the
    /// completion's one statement (``patternUpsert(_:from:now:)``); the pattern tests hold both to
    /// the same counts.
    static func countPattern(_ p: PatternObservation, now: Date, on db: any SQLExecutor) async throws {
        let stored = try await db.run("""
            SELECT frequency, last_seen, automation_potential, confidence_level, sample_emails, affected_categories, sender_patterns
            FROM email_patterns WHERE pattern_id = \(p.patternId)
            """).first
        guard let row = stored else {
            let first = PatternTally(first: p)
            try await db.run("""
                INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                    automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
                VALUES (\(p.patternId), \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(first.frequency), \(p.seenAt),
                    \(first.lastSeen), \(first.automationPotential), \(first.confidence), \(json: first.samplesJSON), \(first.samples.count),
                    \(json: first.categoriesJSON), \(json: first.sendersJSON))
                """)
            return
        }
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
}
