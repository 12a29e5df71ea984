import Foundation
import MailHookCore

extension SQLStore {
    /// The first key of the transaction lock that serialises the completions of one pattern.
    /// The row has two unique keys (id and pattern_id, the same value), and two first sightings
    /// inserting it at once each hold one and wait for the other (a deadlock PostgreSQL breaks
    /// after a second by failing one). Completions of a pattern queue on its row anyway; the lock,
    /// taken after the processing row (it reads `source`'s row), makes the first sighting queue
    /// the same way. Two int4 keys: a key space apart from the session locks' int8 keys.
    static let patternLockClass: Int32 = 0x4D48

    /// PostgreSQL: counts one email under its pattern inside the completion's statement, for each
    /// row `source` (a CTE) returns: the first sighting inserts the row, later ones merge into it
    /// in SQL. The merge reads the stored row as ON CONFLICT locked it, so concurrent completions
    /// of one pattern each count, and it reads the stored JSON as leniently as ``PatternTally``:
    /// a column of the wrong shape counts as empty, entries of the wrong type are dropped.
    static func patternUpsert(_ p: PatternObservation, from source: String, now: Date) -> SQLStatement {
        let first = PatternTally(first: p)
        let n = "GREATEST(email_patterns.frequency, 0)"
        let samples = "CASE WHEN jsonb_typeof(email_patterns.sample_emails) = 'array' THEN email_patterns.sample_emails ELSE '[]'::jsonb END"
        // The stored samples that are strings, in order, then this email unless it is among them.
        let merged: SQLStatement = """
            SELECT e, i FROM jsonb_array_elements(\(raw: samples)) WITH ORDINALITY AS s(e, i) WHERE jsonb_typeof(e) = 'string'
            UNION ALL SELECT to_jsonb(\(p.emailId)::text), 9223372036854775807
            WHERE NOT (\(raw: samples) @> jsonb_build_array(\(p.emailId)::text))
            """
        var statement: SQLStatement = """
            INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
            SELECT \(p.patternId), \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(first.frequency), \(p.seenAt),
                \(first.lastSeen), \(first.automationPotential), \(first.confidence), \(json: first.samplesJSON), \(first.samples.count),
                \(json: first.categoriesJSON), \(json: first.sendersJSON)
            FROM \(raw: source) CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(\(raw: String(patternLockClass)), hashtext(\(p.patternId) || left(\(raw: source).id, 0)))) AS serialised
            ON CONFLICT (pattern_id) DO UPDATE SET
                frequency = LEAST(email_patterns.frequency, 2147483646) + 1,
                last_seen = GREATEST(email_patterns.last_seen, \(p.seenAt)),
                automation_potential = (email_patterns.automation_potential * \(raw: n) + \(p.automationPotential)) / (\(raw: n) + 1),
                confidence_level = (COALESCE(email_patterns.confidence_level, 0) * \(raw: n) + \(p.confidence)) / (\(raw: n) + 1),
                sample_emails = (SELECT COALESCE(jsonb_agg(e ORDER BY i), '[]'::jsonb) FROM (SELECT e, i, row_number() OVER (ORDER BY i DESC) AS back FROM (
            """
        statement.append(merged)
        statement.append("""
            ) m) kept WHERE back <= \(raw: String(PatternTally.maxSamples))),
                sample_count = (SELECT LEAST(count(*), \(raw: String(PatternTally.maxSamples))) FROM (
            """)
        statement.append(merged)
        statement.append(") m),\n    affected_categories = ")
        statement.append(countAdded(column: "affected_categories", key: p.category.rawValue))
        statement.append(",\n    sender_patterns = ")
        if let domain = p.senderDomain {
            statement.append(countAdded(column: "sender_patterns", key: domain))
        } else {
            statement.append(cleanCounts(column: "sender_patterns"))
        }
        statement.append(",\n    updated_at = \(now)")
        return statement
    }

    /// A JSON count column's numeric entries (whole numbers) with one more under `key`.
    private static func countAdded(column: String, key: String) -> SQLStatement {
        var statement: SQLStatement = "(SELECT c || jsonb_build_object(\(key)::text, COALESCE((c ->> \(key)::text)::numeric, 0) + 1) FROM (SELECT "
        statement.append(cleanCounts(column: column))
        statement.append(" AS c) cleaned)")
        return statement
    }

    /// A JSON count column's numeric entries as whole numbers; anything else reads as `{}`.
    private static func cleanCounts(column: String) -> SQLStatement {
        """
        (SELECT COALESCE(jsonb_object_agg(key, trunc((value #>> '{}')::numeric)), '{}'::jsonb)
            FROM jsonb_each(CASE WHEN jsonb_typeof(email_patterns.\(raw: column)) = 'object' THEN email_patterns.\(raw: column) ELSE '{}'::jsonb END)
            WHERE jsonb_typeof(value) = 'number')
        """
    }
}
