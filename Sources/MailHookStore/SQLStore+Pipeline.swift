import Foundation
import MailHookCore

extension SQLStore: PipelineStore {
    public func recordEmail(_ email: EmailMessage, inboxId: Int64, source: InboxSource) async throws -> Bool {
        !(try await database.write(Self.insertEmail(email, inboxId: inboxId, source: source))).isEmpty
    }

    public func recordDecision(_ decision: ProcessingDecision) async throws {
        let now = now()
        if dialect == .postgres {
            // One statement, so one round trip and atomic without BEGIN/COMMIT: while the pipeline
            // is busy, PostgreSQL's backends spend most of a transaction waiting for the next statement.
            try await database.write(Self.decisionStatement(decision, now: now).prepared())
            return
        }
        try await database.transaction { db in
            try await db.run(Self.upsertEmail(decision, now: now))
            if let classification = decision.classification {
                try await db.run(Self.insertClassification(classification, emailId: decision.email.id))
            }
            try await db.run(Self.upsertProcessing(decision.processing, now: now))
        }
    }

    static func insertEmail(_ email: EmailMessage, inboxId: Int64, source: InboxSource) -> SQLStatement {
        var statement: SQLStatement = "INSERT INTO email_messages (\(raw: emailColumns), processing_status) VALUES ("
        statement.append(emailValues(email, inboxId: inboxId, source: source))
        statement.append(", \(ProcessingStatus.received)) ON CONFLICT (id) DO NOTHING RETURNING id")
        return statement
    }

    /// The email's own columns (its status columns aside), for inserts.
    static let emailColumns = """
        id, inbox_id, source, mailbox, internet_message_id, sender_email, sender_name, recipient_email, subject, body, html_body,
        received_datetime, conversation_id, importance, attachments_count
        """

    static func emailValues(_ email: EmailMessage, inboxId: Int64, source: InboxSource) -> SQLStatement {
        let recipients = email.to.map(\.address).joined(separator: ", ")
        return """
            \(email.id), \(inboxId), \(source), \(email.mailbox), \(email.internetMessageId), \(email.from.address), \(email.from.name),
            \(recipients), \(email.subject), \(email.bodyText), \(email.bodyHtml), \(email.receivedAt), \(email.conversationId),
            \(email.importance), \(email.hasAttachments ? 1 : 0)
            """
    }

    /// The decision's email row: stored with its status, or, when an earlier attempt stored it,
    /// its status, error and retry count updated (the email itself is what that attempt read).
    static func upsertEmail(_ decision: ProcessingDecision, now: Date) -> SQLStatement {
        let r = decision.processing
        var statement: SQLStatement = """
            INSERT INTO email_messages (\(raw: emailColumns), processing_status, retry_count, last_error, processed_datetime, updated_at)
            VALUES (
            """
        statement.append(emailValues(decision.email, inboxId: decision.inboxId, source: decision.source))
        statement.append("""
            , \(decision.emailStatus), \(r.retryCount), \(r.errorMessage), \(r.processedAt(now: now)), \(now))
            ON CONFLICT (id) DO UPDATE SET processing_status = excluded.processing_status, retry_count = excluded.retry_count,
                last_error = excluded.last_error, processed_datetime = COALESCE(excluded.processed_datetime, email_messages.processed_datetime),
                updated_at = excluded.updated_at
            """)
        return statement
    }

    /// The decision as one PostgreSQL statement (data-modifying CTEs): the same three writes as
    /// SQLite's transaction. The foreign keys are checked at the end of the statement, when the
    /// email row exists. The status goes in with the email's upsert rather than a separate
    /// ``mirrorProcessing(_:emailStatus:now:)``: every part of one statement reads the same
    /// snapshot, so an UPDATE would not see a row inserted beside it.
    static func decisionStatement(_ decision: ProcessingDecision, now: Date) -> SQLStatement {
        var statement: SQLStatement = "WITH email AS ("
        statement.append(upsertEmail(decision, now: now))
        statement.append(")")
        if let classification = decision.classification {
            statement.append(", classification AS (")
            statement.append(insertClassification(classification, emailId: decision.email.id))
            statement.append(")")
        }
        statement.append("\n")
        statement.append(upsertProcessing(decision.processing, now: now))
        return statement
    }

    public func saveProcessing(_ record: ProcessingRecord, emailStatus: ProcessingStatus) async throws {
        let now = now()
        try await database.transaction { db in
            try await Self.writeProcessing(record, emailStatus: emailStatus, now: now, on: db)
        }
    }

    /// Upserts the processing row and mirrors it on the email.
    static func writeProcessing(_ r: ProcessingRecord, emailStatus: ProcessingStatus, now: Date, on db: any SQLExecutor) async throws {
        try await db.run(upsertProcessing(r, now: now))
        try await db.run(mirrorProcessing(r, emailStatus: emailStatus, now: now))
    }

    /// The processing row's status on the email. processed_datetime only moves when processing
    /// ends; a stage change keeps the last one.
    static func mirrorProcessing(_ r: ProcessingRecord, emailStatus: ProcessingStatus, now: Date) -> SQLStatement {
        """
        UPDATE email_messages SET processing_status = \(emailStatus), retry_count = \(r.retryCount), last_error = \(r.errorMessage),
            processed_datetime = COALESCE(\(r.processedAt(now: now)), processed_datetime), updated_at = \(now)
        WHERE id = \(r.emailId)
        """
    }

    static func upsertProcessing(_ r: ProcessingRecord, now: Date) -> SQLStatement {
        """
            INSERT INTO processing_results (id, email_id, status, started_at, completed_at, action_taken, response_sent, escalation_created,
                escalation_id, processing_time_ms, classification_time_ms, response_generation_time_ms, error_message, error_stage,
                retry_count, processing_context, confidence_routing, updated_at)
            VALUES (\(r.id), \(r.emailId), \(r.status), \(r.startedAt), \(r.completedAt), \(r.actionTaken), \(r.responseSent),
                \(r.escalationCreated), \(r.escalationId), \(r.processingTimeMs), \(r.classificationTimeMs), \(r.responseGenerationTimeMs),
                \(r.errorMessage), \(r.errorStage), \(r.retryCount), \(json: r.context), \(json: r.confidenceRouting), \(now))
            ON CONFLICT (id) DO UPDATE SET email_id = excluded.email_id, status = excluded.status, started_at = excluded.started_at,
                completed_at = excluded.completed_at, action_taken = excluded.action_taken, response_sent = excluded.response_sent,
                escalation_created = excluded.escalation_created, escalation_id = excluded.escalation_id,
                processing_time_ms = excluded.processing_time_ms, classification_time_ms = excluded.classification_time_ms,
                response_generation_time_ms = excluded.response_generation_time_ms, error_message = excluded.error_message,
                error_stage = excluded.error_stage, retry_count = excluded.retry_count, processing_context = excluded.processing_context,
                confidence_routing = excluded.confidence_routing, updated_at = excluded.updated_at
            """
    }

    public func completeProcessing(_ completion: ProcessingCompletion) async throws {
        let now = now()
        // The processing row as a completion writes it: a row completed already is left as it
        // is and returns nothing, so a repeated completion (a retry after a lost answer, or a
        // concurrent one, which waits for the first and then finds it completed) counts nothing.
        let processing = Self.finishProcessing(completion.processing, now: now)
        let writes = Self.completionWrites(completion, now: now)
        if dialect == .postgres {
            try await completeInOneStatement(completion, processing: processing, writes: writes, now: now)
            return
        }
        try await database.transaction { db in
            for write in writes.prefix(completion.actions.count) { try await db.run(write) }
            let done = try await db.run(processing)
            for write in writes.dropFirst(completion.actions.count) { try await db.run(write) }
            if let pattern = completion.pattern, !done.isEmpty {
                try await db.run(Self.recordObservation(pattern, from: nil))
            }
        }
    }

    /// PostgreSQL: the completion as one statement, one round trip, no transaction around it:
    /// data-modifying CTEs, each touching its own rows; the pattern observation is recorded for the
    /// row `done` returns.
    private func completeInOneStatement(_ completion: ProcessingCompletion, processing: SQLStatement, writes: [SQLStatement], now: Date) async throws {
        var statement: SQLStatement = "WITH done AS ("
        statement.append(processing)
        statement.append(")")
        for (index, write) in writes.enumerated() {
            statement.append(", w\(raw: String(index)) AS (")
            statement.append(write)
            statement.append(")\n")
        }
        if let pattern = completion.pattern {
            statement.append(", pattern AS (")
            statement.append(Self.recordObservation(pattern, from: "done"))
            statement.append(")\n")
        }
        statement.append("SELECT 1")
        try await database.write(statement.prepared(), urgent: false)
    }

    static func finishProcessing(_ r: ProcessingRecord, now: Date) -> SQLStatement {
        var statement = upsertProcessing(r, now: now)
        statement.append("\nWHERE processing_results.status <> \(ProcessingStatus.completed) RETURNING id")
        return statement
    }

    /// The completion's writes besides the processing row, in order: the actions' outcomes, the
    /// email's status, the metrics and the inbox row.
    static func completionWrites(_ completion: ProcessingCompletion, now: Date) -> [SQLStatement] {
        var writes = completion.actions.map { finishAction($0, now: now) }
        writes.append(mirrorProcessing(completion.processing, emailStatus: completion.emailStatus, now: now))
        if !completion.metrics.isEmpty {
            var insert: SQLStatement = """
                INSERT INTO performance_metrics (id, metric_type, metric_name, metric_category, value, value_unit, email_id, metadata,
                    time_period_start, time_period_end, sample_size, aggregation_method) VALUES
                """
            for (index, m) in completion.metrics.enumerated() {
                insert.append("""
                    \(raw: index == 0 ? "" : ",") (\(UUID().uuidString), \(m.type), \(m.name), \(m.category), \(m.value), \(m.unit), \(m.emailId),
                        \(json: m.metadata), \(now), \(now), 1, 'single')
                    """)
            }
            writes.append(insert)
        }
        if let lease = completion.inbox {
            writes.append(finishInbox(lease, status: .completed, error: nil, now: now))
        }
        return writes
    }

    // MARK: Classification

    public func classification(emailId: String) async throws -> Classification? {
        let lookup: SQLStatement = """
            SELECT category, confidence, reasoning, urgency, suggested_action, required_expertise, estimated_effort, model_used,
                   prompt_version, tokens_used
            FROM classification_results WHERE email_id = \(emailId)
            """
        guard let row = try await database.read(lookup.prepared()).first else { return nil }
        return Classification.stored(
            category: row.string("category") ?? "", confidence: row.double("confidence") ?? 0, reasoning: row.string("reasoning") ?? "",
            urgency: row.string("urgency") ?? "", suggestedAction: row.string("suggested_action") ?? "",
            requiredExpertise: row.string("required_expertise"), estimatedEffort: row.string("estimated_effort"),
            modelUsed: row.string("model_used"), promptVersion: row.string("prompt_version"), tokensUsed: row.int("tokens_used"))
    }

    public func saveClassification(_ c: Classification, emailId: String) async throws {
        try await database.write(Self.insertClassification(c, emailId: emailId))
    }

    /// The first writer wins: a retry keeps the classification its earlier attempt acted on.
    static func insertClassification(_ c: Classification, emailId: String) -> SQLStatement {
        let id = "cls-\(emailId)"
        // The LLM's answer says how many tokens it used; the column is 32-bit on PostgreSQL, and an
        // endpoint claiming billions must not fail every email's decision.
        let tokens = c.tokensUsed.map(StorableCount.int32)
        return """
            INSERT INTO classification_results (id, email_id, category, confidence, reasoning, urgency, suggested_action, required_expertise,
                estimated_effort, model_used, prompt_version, tokens_used)
            VALUES (\(id), \(emailId), \(c.category), \(c.confidence), \(c.reasoning), \(c.urgency), \(c.suggestedAction),
                \(json: StoredJSON.text(c.requiredExpertise)), \(c.estimatedEffort), \(c.modelUsed), \(c.promptVersion), \(tokens))
            ON CONFLICT DO NOTHING
            """
    }

    // MARK: Actions

    static let actionColumns = "id, inbox_id, email_id, action, idempotency_key, mode, request, status, result, created_at, completed_at, claim_owner, claim_attempt"

    /// A stored action, or nil when it names an action, mode or status this version does not know.
    static func actionRecord(_ row: SQLRow) -> ActionRecord? {
        guard let action = row.value("action", as: ActionKind.self), let mode = row.value("mode", as: ActionMode.self),
              let status = row.value("status", as: ActionStatus.self) else { return nil }
        return ActionRecord(
            id: row.int64("id") ?? 0, inboxId: row.int64("inbox_id") ?? 0, emailId: row.string("email_id"), action: action,
            idempotencyKey: row.string("idempotency_key") ?? "", mode: mode, request: row.string("request"), status: status,
            result: row.string("result"), createdAt: row.date("created_at"), completedAt: row.date("completed_at"),
            claimOwner: row.string("claim_owner"), claimAttempt: row.int("claim_attempt"))
    }

    /// A stored record naming an action, mode or status this version does not know: the email
    /// fails its attempt (and is dead-lettered in the end), as for any input it cannot read. As a
    /// database outage it would be deferred without spending an attempt, for ever.
    static func unreadable(_ record: ActionRecord) -> UnreadableRow {
        UnreadableRow("the action record \(record.idempotencyKey) names an action, mode or status this version does not know")
    }

    public func beginAction(_ record: ActionRecord) async throws -> ActionRecord {
        let dialect = dialect
        let now = now()
        if dialect == .postgres, let owner = record.claimOwner, let attempt = record.claimAttempt {
            // One statement instead of four round trips (BEGIN, lease check, insert, COMMIT).
            let row = try await database.write(Self.beginActionStatement(record, owner: owner, attempt: attempt, now: now).prepared()).first
            guard let row, (row.int("leased") ?? 0) > 0 else { throw StaleClaim(inboxId: record.inboxId) }
            guard var stored = Self.actionRecord(row) else { throw Self.unreadable(record) }
            stored.resumed = row.string("outcome") == "resumed"
            return stored
        }
        return try await database.transaction { db in
            if let owner = record.claimOwner, let attempt = record.claimAttempt {
                // FOR UPDATE (PostgreSQL): a reclaim of the row waits until this action is recorded.
                let lease = try await db.run("""
                    SELECT lease_owner, attempts, status FROM inbox WHERE id = \(record.inboxId)\(raw: dialect.forUpdate)
                    """).first
                guard lease?.string("lease_owner") == owner, lease?.int("attempts") == attempt,
                      lease?.value("status", as: InboxStatus.self) == .processing else {
                    throw StaleClaim(inboxId: record.inboxId)
                }
            }
            // A concurrent insert of the same key (PostgreSQL) waits, then does nothing; the
            // statements after it see that row.
            let inserted = try await db.run("""
                INSERT INTO action_records (inbox_id, email_id, action, idempotency_key, mode, request, status, claim_owner, claim_attempt, created_at)
                VALUES (\(record.inboxId), \(record.emailId), \(record.action), \(record.idempotencyKey), \(record.mode), \(record.request),
                    \(ActionStatus.started), \(record.claimOwner), \(record.claimAttempt), \(now))
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING \(raw: Self.actionColumns)
                """)
            var rows = inserted
            if rows.isEmpty {
                // An unfinished record of an earlier claim is this claim's now: it reconciles, then acts.
                rows = try await db.run("""
                    UPDATE action_records SET claim_owner = \(record.claimOwner), claim_attempt = \(record.claimAttempt)
                    WHERE idempotency_key = \(record.idempotencyKey) AND status = \(ActionStatus.started)
                    RETURNING \(raw: Self.actionColumns)
                    """)
            }
            if rows.isEmpty {
                // An earlier claim finished it.
                rows = try await db.run("SELECT \(raw: Self.actionColumns) FROM action_records WHERE idempotency_key = \(record.idempotencyKey)")
            }
            guard let row = rows.first else { throw StoreUnavailable("the action record \(record.idempotencyKey) was not stored") }
            guard var stored = Self.actionRecord(row) else { throw Self.unreadable(record) }
            stored.resumed = inserted.isEmpty && stored.status == .started
            return stored
        }
    }

    /// ``beginAction(_:)`` under a lease as one PostgreSQL statement: the lease row locked (as the
    /// transaction's `FOR UPDATE`), then the record inserted, or an unfinished one taken over, or a
    /// finished one returned; `leased` is 0 when the claim is stale, and nothing is written then.
    /// All parts read the statement's snapshot, so the update never sees the row the insert adds.
    /// A record inserted by another transaction after that snapshot (which would need a second
    /// holder of the same lease) comes back as no row: the attempt fails and is retried.
    static func beginActionStatement(_ record: ActionRecord, owner: String, attempt: Int, now: Date) -> SQLStatement {
        """
        WITH lease AS (
            SELECT id FROM inbox
            WHERE id = \(record.inboxId) AND lease_owner = \(owner) AND attempts = \(attempt) AND status = \(InboxStatus.processing)
            FOR UPDATE
        ), inserted AS (
            INSERT INTO action_records (inbox_id, email_id, action, idempotency_key, mode, request, status, claim_owner, claim_attempt, created_at)
            SELECT \(record.inboxId), \(record.emailId), \(record.action), \(record.idempotencyKey), \(record.mode), \(record.request),
                \(ActionStatus.started), \(owner), \(attempt), \(now)
            FROM lease
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING \(raw: actionColumns)
        ), resumed AS (
            UPDATE action_records SET claim_owner = \(owner), claim_attempt = \(attempt)
            WHERE idempotency_key = \(record.idempotencyKey) AND status = \(ActionStatus.started) AND EXISTS (SELECT 1 FROM lease)
            RETURNING \(raw: actionColumns)
        ), found AS (
            SELECT 'inserted' AS outcome, \(raw: actionColumns) FROM inserted
            UNION ALL SELECT 'resumed', \(raw: actionColumns) FROM resumed
            UNION ALL SELECT 'stored', \(raw: actionColumns) FROM action_records
                WHERE idempotency_key = \(record.idempotencyKey) AND status <> \(ActionStatus.started) AND EXISTS (SELECT 1 FROM lease)
        )
        SELECT (SELECT count(*) FROM lease) AS leased, found.* FROM (SELECT 1) AS one LEFT JOIN found ON true
        """
    }

    public func autoReplySent(to sender: String, since: Date, excluding emailId: String) async throws -> Bool {
        let rows = try await database.read("""
            SELECT a.id FROM action_records a JOIN email_messages e ON e.id = a.email_id
            WHERE a.action = \(ActionKind.reply) AND a.created_at >= \(since) AND lower(e.sender_email) = \(sender.lowercased())
              AND a.email_id <> \(emailId)
            LIMIT 1
            """)
        return !rows.isEmpty
    }

    public func finishAction(idempotencyKey: String, status: ActionStatus, result: String?) async throws {
        try await database.write(Self.finishAction(ActionOutcome(idempotencyKey: idempotencyKey, status: status, result: result), now: now()))
    }

    static func finishAction(_ outcome: ActionOutcome, now: Date) -> SQLStatement {
        """
        UPDATE action_records SET status = \(outcome.status), result = \(outcome.result), completed_at = \(now)
        WHERE idempotency_key = \(outcome.idempotencyKey)
        """
    }

    // MARK: Escalations

    public func saveEscalation(_ e: EscalationRecord) async throws {
        // No conflict target: a repeat of either the id or the team id is the same escalation.
        try await database.write("""
            INSERT INTO escalation_teams (id, team_id, email_id, team_name, team_description, members, member_count, owner_email,
                teams_group_url, channel_id, message_count, status)
            VALUES (\(e.id), \(e.teamId), \(e.emailId), \(e.teamName), \(e.teamDescription), \(json: StoredJSON.text(e.members)), \(e.members.count),
                \(e.ownerEmail), \(e.teamsGroupUrl), \(e.channelId), \(e.messageCount), 'active')
            ON CONFLICT DO NOTHING
            """)
    }
}
