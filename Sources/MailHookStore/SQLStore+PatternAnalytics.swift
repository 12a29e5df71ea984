import Foundation
import MailHookCore

extension SQLStore {
    /// One page of `email_patterns`, most frequent first (keyset on frequency, pattern id), with
    /// the observations recorded so far folded in first.
    public func patterns(_ query: PatternQuery) async throws -> PatternsPage {
        try await foldAllPatterns()
        var statement: SQLStatement = """
            SELECT pattern_id, pattern_signature, description, frequency, first_seen, last_seen, automation_potential,
                sample_emails, affected_categories
            FROM email_patterns WHERE frequency >= \(query.minFrequency) AND automation_potential >= \(Double(query.minAutomationPotential) / 100 - 1e-9)
            """
        if let after = query.after {
            statement.append(" AND (frequency < \(after.frequency) OR (frequency = \(after.frequency) AND pattern_id > \(after.patternId)))")
        }
        statement.append(" ORDER BY frequency DESC, pattern_id LIMIT \(query.limit + 1)")
        let rows = try await database.read(statement)
        let patterns = rows.prefix(query.limit).map { r in
            PatternSummary(
                patternId: r.string("pattern_id") ?? "", signature: r.string("pattern_signature") ?? "", description: r.string("description") ?? "",
                frequency: r.int("frequency") ?? 0, firstSeen: r.date("first_seen"), lastSeen: r.date("last_seen"),
                categories: StoredJSON.counts(r.string("affected_categories")), sampleIds: StoredJSON.strings(r.string("sample_emails")),
                automationPotential: (r.double("automation_potential") ?? 0) * 100)
        }
        let next = rows.count > query.limit ? patterns.last.map { PatternQuery.Cursor(frequency: $0.frequency, patternId: $0.patternId).token } : nil
        return PatternsPage(patterns: Array(patterns), nextCursor: next)
    }
}
