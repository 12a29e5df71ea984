import Foundation
import Logging
import MailHookCore
import PostgresNIO

extension PostgresStore {
    // MARK: Processing

    public func saveProcessing(_ record: ProcessingRecord, emailStatus: String) async throws {
        try await client.withTransaction(logger: logger) { conn in
            try await Self.writeProcessing(record, emailStatus: emailStatus, on: conn, logger: logger)
        }
    }

    /// Upserts the processing row and mirrors it on the email.
    private static func writeProcessing(_ r: ProcessingRecord, emailStatus: String, on conn: PostgresConnection, logger: Logger) async throws {
        try await conn.query("""
            INSERT INTO processing_results (id, email_id, status, started_at, completed_at, action_taken, response_sent, escalation_created,
                escalation_id, processing_time_ms, classification_time_ms, response_generation_time_ms, error_message, error_stage,
                retry_count, processing_context, confidence_routing)
            VALUES (\(r.id), \(r.emailId), \(r.status), \(r.startedAt), \(r.completedAt), \(r.actionTaken), \(r.responseSent),
                \(r.escalationCreated), \(r.escalationId), \(r.processingTimeMs), \(r.classificationTimeMs), \(r.responseGenerationTimeMs),
                \(r.errorMessage), \(r.errorStage), \(r.retryCount), \(r.context)::jsonb, \(r.confidenceRouting))
            ON CONFLICT (id) DO UPDATE SET email_id = excluded.email_id, status = excluded.status, started_at = excluded.started_at,
                completed_at = excluded.completed_at, action_taken = excluded.action_taken, response_sent = excluded.response_sent,
                escalation_created = excluded.escalation_created, escalation_id = excluded.escalation_id,
                processing_time_ms = excluded.processing_time_ms, classification_time_ms = excluded.classification_time_ms,
                response_generation_time_ms = excluded.response_generation_time_ms, error_message = excluded.error_message,
                error_stage = excluded.error_stage, retry_count = excluded.retry_count, processing_context = excluded.processing_context,
                confidence_routing = excluded.confidence_routing, updated_at = now()
            """, logger: logger)
        // processed_datetime only moves when processing ends; a stage change keeps the last one.
        try await conn.query("""
            UPDATE email_messages SET processing_status = \(emailStatus), retry_count = \(r.retryCount), last_error = \(r.errorMessage),
                processed_datetime = COALESCE(\(r.processedAt), processed_datetime), updated_at = now()
            WHERE id = \(r.emailId)
            """, logger: logger)
    }

    public func completeProcessing(_ completion: ProcessingCompletion) async throws {
        try await client.withTransaction(logger: logger) { conn in
            // FOR UPDATE: a concurrent completion of the same row waits, then sees `completed`.
            var earlier: String?
            for try await status in try await conn.query(
                "SELECT status FROM processing_results WHERE id = \(completion.processing.id) FOR UPDATE", logger: logger
            ).decode(String.self) {
                earlier = status
            }
            try await Self.writeProcessing(completion.processing, emailStatus: completion.emailStatus, on: conn, logger: logger)
            // A completed email was counted already (a replay or a repeated completion).
            if let pattern = completion.pattern, earlier != "completed" {
                try await Self.countPattern(pattern, on: conn, logger: logger)
            }
            for m in completion.metrics {
                try await conn.query("""
                    INSERT INTO performance_metrics (id, metric_type, metric_name, metric_category, value, value_unit, email_id, metadata,
                        time_period_start, time_period_end, sample_size, aggregation_method)
                    VALUES (\(UUID()), \(m.type), \(m.name), \(m.category), \(m.value), \(m.unit), \(m.emailId), \(m.metadata)::jsonb,
                        now(), now(), 1, 'single')
                    """, logger: logger)
            }
        }
    }

    private static func countPattern(_ p: PatternObservation, on conn: PostgresConnection, logger: Logger) async throws {
        // Insert first: of two concurrent first sightings one inserts, the other waits and then updates.
        let first = PatternTally(first: p)
        var inserted = false
        for try await _ in try await conn.query("""
            INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
            VALUES (\(p.patternId), \(p.patternId), \(p.patternType), \(p.description), \(p.signature), \(first.frequency), \(p.seenAt),
                \(first.lastSeen), \(first.automationPotential), \(first.confidence), \(first.samplesJSON)::jsonb, \(first.samples.count),
                \(first.categoriesJSON)::jsonb, \(first.sendersJSON)::jsonb)
            ON CONFLICT DO NOTHING RETURNING id
            """, logger: logger).decode(String.self) {
            inserted = true
        }
        guard !inserted else { return }

        var current: PatternTally?
        for try await (frequency, lastSeen, automation, confidence, samples, categories, senders) in try await conn.query("""
            SELECT frequency, last_seen, automation_potential, confidence_level, sample_emails::text, affected_categories::text,
                   sender_patterns::text
            FROM email_patterns WHERE pattern_id = \(p.patternId) FOR UPDATE
            """, logger: logger).decode((Int32, Date, Double, Double?, String?, String?, String?).self) {
            current = PatternTally(
                frequency: Int(frequency), lastSeen: lastSeen, automationPotential: automation, confidence: confidence ?? 0,
                sampleEmails: samples, affectedCategories: categories, senderPatterns: senders)
        }
        guard let tally = current?.adding(p) else { return }
        try await conn.query("""
            UPDATE email_patterns SET frequency = \(tally.frequency), last_seen = \(tally.lastSeen),
                automation_potential = \(tally.automationPotential), confidence_level = \(tally.confidence),
                sample_emails = \(tally.samplesJSON)::jsonb, sample_count = \(tally.samples.count),
                affected_categories = \(tally.categoriesJSON)::jsonb, sender_patterns = \(tally.sendersJSON)::jsonb, updated_at = now()
            WHERE pattern_id = \(p.patternId)
            """, logger: logger)
    }

    // MARK: Classification

    public func classification(emailId: String) async throws -> Classification? {
        let rows = try await client.query("""
            SELECT category, confidence, reasoning, urgency, suggested_action, required_expertise::text, estimated_effort, model_used,
                   prompt_version, tokens_used
            FROM classification_results WHERE email_id = \(emailId)
            """, logger: logger)
        var found: Classification?
        for try await (category, confidence, reasoning, urgency, action, expertise, effort, model, prompt, tokens)
            in rows.decode((String, Double, String, String, String, String?, String?, String?, String?, Int32?).self) {
            found = Classification.stored(
                category: category, confidence: confidence, reasoning: reasoning, urgency: urgency, suggestedAction: action,
                requiredExpertise: expertise, estimatedEffort: effort, modelUsed: model, promptVersion: prompt, tokensUsed: tokens.map(Int.init))
        }
        return found
    }

    public func saveClassification(_ c: Classification, emailId: String) async throws {
        let id = "cls-\(emailId)"
        let expertise = PipelineJSON.text(c.requiredExpertise)
        // The first writer wins: a retry keeps the classification its earlier attempt acted on.
        try await client.query("""
            INSERT INTO classification_results (id, email_id, category, confidence, reasoning, urgency, suggested_action, required_expertise,
                estimated_effort, model_used, prompt_version, tokens_used)
            VALUES (\(id), \(emailId), \(c.category.rawValue), \(c.confidence), \(c.reasoning), \(c.urgency.rawValue), \(c.suggestedAction),
                \(expertise)::jsonb, \(c.estimatedEffort), \(c.modelUsed), \(c.promptVersion), \(c.tokensUsed))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    // MARK: Actions

    private static func actionRecords(_ rows: PostgresRowSequence) async throws -> [ActionRecord] {
        var out: [ActionRecord] = []
        for try await (id, inboxId, emailId, action, key, mode, request, status, result, createdAt, completedAt)
            in rows.decode((Int64, Int64, String?, String, String, String, String?, String, String?, Date, Date?).self) {
            out.append(ActionRecord(
                id: id, inboxId: inboxId, emailId: emailId, action: action, idempotencyKey: key, mode: mode, request: request,
                status: status, result: result, createdAt: createdAt, completedAt: completedAt))
        }
        return out
    }

    public func beginAction(_ record: ActionRecord) async throws -> ActionRecord {
        try await client.withTransaction(logger: logger) { conn in
            // A concurrent insert of the same key makes this one wait, then do nothing; the SELECT then sees that row.
            try await conn.query("""
                INSERT INTO action_records (inbox_id, email_id, action, idempotency_key, mode, request, status)
                VALUES (\(record.inboxId), \(record.emailId), \(record.action), \(record.idempotencyKey), \(record.mode), \(record.request), 'started')
                ON CONFLICT (idempotency_key) DO NOTHING
                """, logger: logger)
            let stored = try await Self.actionRecords(try await conn.query("""
                SELECT id, inbox_id, email_id, action, idempotency_key, mode, request, status, result, created_at, completed_at
                FROM action_records WHERE idempotency_key = \(record.idempotencyKey)
                """, logger: logger))
            guard let first = stored.first else { throw StoreUnavailable("the action record \(record.idempotencyKey) was not stored") }
            return first
        }
    }

    public func finishAction(idempotencyKey: String, status: String, result: String?) async throws {
        try await client.query("""
            UPDATE action_records SET status = \(status), result = \(result), completed_at = now() WHERE idempotency_key = \(idempotencyKey)
            """, logger: logger)
    }

    public func actionRecords(inboxId: Int64?) async throws -> [ActionRecord] {
        let rows: PostgresRowSequence
        if let inboxId {
            rows = try await client.query("""
                SELECT id, inbox_id, email_id, action, idempotency_key, mode, request, status, result, created_at, completed_at
                FROM action_records WHERE inbox_id = \(inboxId) ORDER BY id
                """, logger: logger)
        } else {
            rows = try await client.query("""
                SELECT id, inbox_id, email_id, action, idempotency_key, mode, request, status, result, created_at, completed_at
                FROM action_records ORDER BY id
                """, logger: logger)
        }
        return try await Self.actionRecords(rows)
    }

    // MARK: Escalations

    public func saveEscalation(_ e: EscalationRecord) async throws {
        let members = PipelineJSON.text(e.members)
        let memberCount = e.members.count
        // No conflict target: a repeat of either the id or the team id is the same escalation.
        try await client.query("""
            INSERT INTO escalation_teams (id, team_id, email_id, team_name, team_description, members, member_count, owner_email,
                teams_group_url, channel_id, message_count, status)
            VALUES (\(e.id), \(e.teamId), \(e.emailId), \(e.teamName), \(e.teamDescription), \(members)::jsonb, \(memberCount),
                \(e.ownerEmail), \(e.teamsGroupUrl), \(e.channelId), \(e.messageCount), 'active')
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    // MARK: Reading tables

    public func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue] {
        // Unescaped is safe here: the name and order come from ReadableTable, never from outside input.
        let order = table.hasIntegerId ? "id" : "created_at, id"
        let rows = try await client.query("""
            SELECT row_to_json(t)::text FROM \(unescaped: table.rawValue) t ORDER BY \(unescaped: order) LIMIT \(limit)
            """, logger: logger)
        var out: [JSONValue] = []
        for try await text in rows.decode(String.self) { out.append(try JSONValue.parse(Array(text.utf8))) }
        return out
    }
}
