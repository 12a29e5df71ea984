import Foundation
import MailHookCore
import NIOCore
import SQLiteNIO

extension SQLiteData {
    fileprivate static func optionalInteger(_ value: Int?) -> SQLiteData { value.map { .integer($0) } ?? .null }
    fileprivate static func flag(_ value: Bool) -> SQLiteData { .integer(value ? 1 : 0) }

    /// The JSON form of a column for ``SQLiteStore/tableRows(_:limit:)``.
    fileprivate var json: JSONValue {
        switch self {
        case .integer(let value): .number(Double(value))
        case .float(let value): .number(value)
        case .text(let value): .string(value)
        case .blob(let value): .string(Data(value.readableBytesView).base64EncodedString())
        case .null: .null
        }
    }
}

extension SQLiteStore {
    // MARK: Processing

    public func saveProcessing(_ record: ProcessingRecord, emailStatus: String) async throws {
        _ = try await transaction { db in
            try await Self.writeProcessing(record, emailStatus: emailStatus, on: db)
            return true
        }
    }

    /// Upserts the processing row and mirrors it on the email.
    private static func writeProcessing(_ r: ProcessingRecord, emailStatus: String, on db: SQLiteConnection) async throws {
        let now = SQLiteData.date(Date())
        _ = try await db.query("""
            INSERT INTO processing_results (id, email_id, status, started_at, completed_at, action_taken, response_sent, escalation_created,
                escalation_id, processing_time_ms, classification_time_ms, response_generation_time_ms, error_message, error_stage,
                retry_count, processing_context, confidence_routing, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET email_id = excluded.email_id, status = excluded.status, started_at = excluded.started_at,
                completed_at = excluded.completed_at, action_taken = excluded.action_taken, response_sent = excluded.response_sent,
                escalation_created = excluded.escalation_created, escalation_id = excluded.escalation_id,
                processing_time_ms = excluded.processing_time_ms, classification_time_ms = excluded.classification_time_ms,
                response_generation_time_ms = excluded.response_generation_time_ms, error_message = excluded.error_message,
                error_stage = excluded.error_stage, retry_count = excluded.retry_count, processing_context = excluded.processing_context,
                confidence_routing = excluded.confidence_routing, updated_at = excluded.updated_at
            """, [
                .text(r.id), .text(r.emailId), .text(r.status), .date(r.startedAt), .date(r.completedAt), .optionalText(r.actionTaken),
                .flag(r.responseSent), .flag(r.escalationCreated), .optionalText(r.escalationId), .optionalInteger(r.processingTimeMs),
                .optionalInteger(r.classificationTimeMs), .optionalInteger(r.responseGenerationTimeMs), .optionalText(r.errorMessage),
                .optionalText(r.errorStage), .integer(r.retryCount), .optionalText(r.context), .optionalText(r.confidenceRouting), now,
            ])
        // processed_datetime only moves when processing ends; a stage change keeps the last one.
        _ = try await db.query("""
            UPDATE email_messages SET processing_status = ?, retry_count = ?, last_error = ?,
                processed_datetime = COALESCE(?, processed_datetime), updated_at = ?
            WHERE id = ?
            """, [.text(emailStatus), .integer(r.retryCount), .optionalText(r.errorMessage), .date(r.processedAt), now, .text(r.emailId)])
    }

    public func completeProcessing(_ completion: ProcessingCompletion) async throws {
        _ = try await transaction { db in
            let earlier = try await db.query("SELECT status FROM processing_results WHERE id = ?", [.text(completion.processing.id)])
                .first?.column("status")?.string
            try await Self.writeProcessing(completion.processing, emailStatus: completion.emailStatus, on: db)
            // A completed email was counted already (a replay or a repeated completion).
            if let pattern = completion.pattern, earlier != "completed" {
                try await Self.countPattern(pattern, on: db)
            }
            let now = SQLiteData.date(Date())
            for metric in completion.metrics {
                _ = try await db.query("""
                    INSERT INTO performance_metrics (id, metric_type, metric_name, metric_category, value, value_unit, email_id, metadata,
                        time_period_start, time_period_end, sample_size, aggregation_method)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'single')
                    """, [
                        .text(UUID().uuidString), .text(metric.type), .text(metric.name), .text(metric.category), .float(metric.value),
                        .text(metric.unit), .optionalText(metric.emailId), .optionalText(metric.metadata), now, now,
                    ])
            }
            return true
        }
    }

    private static func countPattern(_ p: PatternObservation, on db: SQLiteConnection) async throws {
        let first = PatternTally(first: p)
        let inserted = try await db.query("""
            INSERT INTO email_patterns (id, pattern_id, pattern_type, description, pattern_signature, frequency, first_seen, last_seen,
                automation_potential, confidence_level, sample_emails, sample_count, affected_categories, sender_patterns)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING RETURNING id
            """, [
                .text(p.patternId), .text(p.patternId), .text(p.patternType), .text(p.description), .text(p.signature),
                .integer(first.frequency), .date(p.seenAt), .date(first.lastSeen), .float(first.automationPotential), .float(first.confidence),
                .text(first.samplesJSON), .integer(first.samples.count), .text(first.categoriesJSON), .text(first.sendersJSON),
            ])
        guard inserted.isEmpty else { return }
        guard let row = try await db.query("""
            SELECT frequency, last_seen, automation_potential, confidence_level, sample_emails, affected_categories, sender_patterns
            FROM email_patterns WHERE pattern_id = ?
            """, [.text(p.patternId)]).first else { return }
        let tally = PatternTally(
            frequency: Int(row.column("frequency")?.integer ?? 0), lastSeen: row.date("last_seen") ?? p.seenAt,
            automationPotential: row.column("automation_potential")?.double ?? 0, confidence: row.column("confidence_level")?.double ?? 0,
            sampleEmails: row.column("sample_emails")?.string, affectedCategories: row.column("affected_categories")?.string,
            senderPatterns: row.column("sender_patterns")?.string
        ).adding(p)
        _ = try await db.query("""
            UPDATE email_patterns SET frequency = ?, last_seen = ?, automation_potential = ?, confidence_level = ?, sample_emails = ?,
                sample_count = ?, affected_categories = ?, sender_patterns = ?, updated_at = ?
            WHERE pattern_id = ?
            """, [
                .integer(tally.frequency), .date(tally.lastSeen), .float(tally.automationPotential), .float(tally.confidence),
                .text(tally.samplesJSON), .integer(tally.samples.count), .text(tally.categoriesJSON), .text(tally.sendersJSON),
                .date(Date()), .text(p.patternId),
            ])
    }

    // MARK: Classification

    public func classification(emailId: String) async throws -> Classification? {
        guard let row = try await reader.query("""
            SELECT category, confidence, reasoning, urgency, suggested_action, required_expertise, estimated_effort, model_used,
                   prompt_version, tokens_used
            FROM classification_results WHERE email_id = ?
            """, [.text(emailId)]).first else { return nil }
        return Classification.stored(
            category: row.column("category")?.string ?? "", confidence: row.column("confidence")?.double ?? 0,
            reasoning: row.column("reasoning")?.string ?? "", urgency: row.column("urgency")?.string ?? "",
            suggestedAction: row.column("suggested_action")?.string ?? "", requiredExpertise: row.column("required_expertise")?.string,
            estimatedEffort: row.column("estimated_effort")?.string, modelUsed: row.column("model_used")?.string,
            promptVersion: row.column("prompt_version")?.string, tokensUsed: row.column("tokens_used")?.integer)
    }

    public func saveClassification(_ c: Classification, emailId: String) async throws {
        _ = try await transaction { db in
            // The first writer wins: a retry keeps the classification its earlier attempt acted on.
            _ = try await db.query("""
                INSERT INTO classification_results (id, email_id, category, confidence, reasoning, urgency, suggested_action,
                    required_expertise, estimated_effort, model_used, prompt_version, tokens_used)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, [
                    .text("cls-\(emailId)"), .text(emailId), .text(c.category.rawValue), .float(c.confidence), .text(c.reasoning),
                    .text(c.urgency.rawValue), .text(c.suggestedAction), .text(PipelineJSON.text(c.requiredExpertise)),
                    .text(c.estimatedEffort), .text(c.modelUsed), .text(c.promptVersion), .optionalInteger(c.tokensUsed),
                ])
            return true
        }
    }

    // MARK: Actions

    private static let actionColumns = "id, inbox_id, email_id, action, idempotency_key, mode, request, status, result, created_at, completed_at"

    private static func actionRecord(_ row: SQLiteRow) -> ActionRecord {
        ActionRecord(
            id: Int64(row.column("id")?.integer ?? 0), inboxId: Int64(row.column("inbox_id")?.integer ?? 0),
            emailId: row.column("email_id")?.string, action: row.column("action")?.string ?? "",
            idempotencyKey: row.column("idempotency_key")?.string ?? "", mode: row.column("mode")?.string ?? "",
            request: row.column("request")?.string, status: row.column("status")?.string ?? "", result: row.column("result")?.string,
            createdAt: row.date("created_at"), completedAt: row.date("completed_at"))
    }

    public func beginAction(_ record: ActionRecord) async throws -> ActionRecord {
        try await transaction { db in
            _ = try await db.query("""
                INSERT INTO action_records (inbox_id, email_id, action, idempotency_key, mode, request, status)
                VALUES (?, ?, ?, ?, ?, ?, 'started')
                ON CONFLICT (idempotency_key) DO NOTHING
                """, [
                    .integer(Int(record.inboxId)), .optionalText(record.emailId), .text(record.action), .text(record.idempotencyKey),
                    .text(record.mode), .optionalText(record.request),
                ])
            guard let row = try await db.query("SELECT \(Self.actionColumns) FROM action_records WHERE idempotency_key = ?",
                                               [.text(record.idempotencyKey)]).first else {
                throw StoreUnavailable("the action record \(record.idempotencyKey) was not stored")
            }
            return Self.actionRecord(row)
        }
    }

    public func finishAction(idempotencyKey: String, status: String, result: String?) async throws {
        _ = try await transaction { db in
            _ = try await db.query("UPDATE action_records SET status = ?, result = ?, completed_at = ? WHERE idempotency_key = ?",
                                   [.text(status), .optionalText(result), .date(Date()), .text(idempotencyKey)])
            return true
        }
    }

    public func actionRecords(inboxId: Int64?) async throws -> [ActionRecord] {
        let rows: [SQLiteRow]
        if let inboxId {
            rows = try await reader.query("SELECT \(Self.actionColumns) FROM action_records WHERE inbox_id = ? ORDER BY id", [.integer(Int(inboxId))])
        } else {
            rows = try await reader.query("SELECT \(Self.actionColumns) FROM action_records ORDER BY id")
        }
        return rows.map(Self.actionRecord)
    }

    // MARK: Escalations

    public func saveEscalation(_ e: EscalationRecord) async throws {
        _ = try await transaction { db in
            // No conflict target: a repeat of either the id or the team id is the same escalation.
            _ = try await db.query("""
                INSERT INTO escalation_teams (id, team_id, email_id, team_name, team_description, members, member_count, owner_email,
                    teams_group_url, channel_id, message_count, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active')
                ON CONFLICT DO NOTHING
                """, [
                    .text(e.id), .text(e.teamId), .text(e.emailId), .text(e.teamName), .optionalText(e.teamDescription),
                    .text(PipelineJSON.text(e.members)), .integer(e.members.count), .optionalText(e.ownerEmail), .optionalText(e.teamsGroupUrl),
                    .optionalText(e.channelId), .integer(e.messageCount),
                ])
            return true
        }
    }

    // MARK: Reading tables

    public func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue] {
        // The table name is a ReadableTable raw value, never outside input; rowid is insertion order for text ids.
        let order = table.hasIntegerId ? "id" : "rowid"
        return try await reader.query("SELECT * FROM \(table.rawValue) ORDER BY \(order) LIMIT ?", [.integer(limit)]).map { row in
            .object(Dictionary(row.columns.map { ($0.name, $0.data.json) }, uniquingKeysWith: { first, _ in first }))
        }
    }
}
