import Foundation
import MailHookCore

extension SQLStore: AdminStore {
    /// Rows of each kind one trail shows at most (an email has a handful; a bound keeps a
    /// pathological one from making a huge answer).
    static let trailRowLimit = 100

    public func emailTrail(id: String) async throws -> EmailTrail? {
        let limit = Self.trailRowLimit
        guard let row = try await database.read("""
            SELECT id, inbox_id, source, mailbox, sender_email, subject, body, received_datetime, processing_status
            FROM email_messages WHERE id = \(id)
            """).first, let emailId = row.string("id")
        else { return nil }
        let email = EmailTrail.Email(
            id: emailId, source: row.string("source"), mailbox: row.string("mailbox"), sender: row.string("sender_email") ?? "",
            subject: row.string("subject") ?? "", body: row.string("body") ?? "", receivedAt: row.date("received_datetime"),
            processingStatus: row.value("processing_status"))
        var inbox: [EmailTrail.InboxEntry] = []
        if let inboxId = row.int64("inbox_id") {
            inbox = try await database.read("""
                SELECT id, kind, endpoint, status, attempts, last_error, received_at, completed_at FROM inbox WHERE id = \(inboxId)
                """).compactMap { r in
                r.int64("id").map {
                    EmailTrail.InboxEntry(
                        id: $0, kind: r.value("kind"), endpoint: r.string("endpoint"), status: r.value("status"), attempts: r.int("attempts") ?? 0,
                        lastError: r.string("last_error"), receivedAt: r.date("received_at"), completedAt: r.date("completed_at"))
                }
            }
        }
        let classification = try await database.read("""
            SELECT category, confidence, urgency, reasoning, suggested_action, model_used, prompt_version, created_at
            FROM classification_results WHERE email_id = \(emailId)
            """).first.map { r in
            EmailTrail.ClassificationEntry(
                category: r.string("category") ?? "", confidence: r.double("confidence") ?? 0, urgency: r.string("urgency") ?? "",
                reasoning: r.string("reasoning") ?? "", suggestedAction: r.string("suggested_action") ?? "", modelUsed: r.string("model_used"),
                promptVersion: r.string("prompt_version"), createdAt: r.date("created_at"))
        }
        let processing = try await database.read("""
            SELECT status, action_taken, error_stage, error_message, confidence_routing, processing_context, processing_time_ms,
                started_at, completed_at
            FROM processing_results WHERE email_id = \(emailId) ORDER BY started_at, id LIMIT \(limit)
            """).map { r in
            EmailTrail.ProcessingEntry(
                status: r.value("status"), actionTaken: r.string("action_taken"), errorStage: r.string("error_stage"),
                errorMessage: r.string("error_message"), routing: Self.json(r.string("confidence_routing")),
                context: Self.json(r.string("processing_context")), processingTimeMs: r.int("processing_time_ms"),
                startedAt: r.date("started_at"), completedAt: r.date("completed_at"))
        }
        let actions = try await database.read("""
            SELECT \(raw: Self.actionColumns) FROM action_records WHERE email_id = \(emailId) ORDER BY id LIMIT \(limit)
            """).compactMap(Self.actionRecord).map { record in
            EmailTrail.ActionEntry(
                action: record.action, mode: record.mode, status: record.status, request: Self.json(record.request),
                result: Self.json(record.result), createdAt: record.createdAt, completedAt: record.completedAt)
        }
        let feedback = try await database.read("""
            SELECT rating, correct_category, correct_urgency, comment, created_at FROM classification_feedback
            WHERE email_id = \(emailId) ORDER BY created_at, id LIMIT \(limit)
            """).map { r in
            EmailTrail.FeedbackEntry(
                rating: r.value("rating"), correctCategory: r.string("correct_category") ?? "", correctUrgency: r.string("correct_urgency"),
                comment: r.string("comment"), createdAt: r.date("created_at"))
        }
        return EmailTrail(
            email: email, inbox: inbox, classification: classification, processing: processing, actions: actions, feedback: feedback)
    }

    public func emailHistory(_ query: EmailHistoryQuery) async throws -> EmailHistoryPage {
        let since = now().addingTimeInterval(-Double(query.days) * 86_400)
        let (castOpen, castClose) = dialect.timestampFromText
        var inner: SQLStatement = """
            SELECT e.id, e.sender_email, e.subject, e.processing_status, e.received_datetime,
                \(raw: dialect.exactTimestampText("e.received_datetime")) AS received_text, c.category, c.confidence, c.urgency,
                (SELECT \(raw: dialect.jsonTextField("p.confidence_routing", "decision")) FROM processing_results p
                    WHERE p.email_id = e.id ORDER BY p.started_at DESC LIMIT 1) AS decision
            FROM email_messages e LEFT JOIN classification_results c ON c.email_id = e.id
            WHERE e.received_datetime >= \(since)
            """
        if let sender = query.sender { inner.append(" AND lower(e.sender_email) = \(sender)") }
        if let category = query.category { inner.append(" AND c.category = \(category.rawValue)") }
        if let status = query.status { inner.append(" AND e.processing_status = \(status)") }
        if let cursor = query.cursor {
            inner.append("""
                 AND (e.received_datetime < \(raw: castOpen)\(cursor.received)\(raw: castClose)
                    OR (e.received_datetime = \(raw: castOpen)\(cursor.received)\(raw: castClose) AND e.id < \(cursor.id)))
                """)
        }
        var statement: SQLStatement = "SELECT * FROM ("
        statement.append(inner)
        statement.append(") AS h")
        if let decision = query.decision { statement.append(" WHERE decision = \(decision.rawValue)") }
        statement.append(" ORDER BY received_datetime DESC, id DESC LIMIT \(query.limit + 1)")
        let rows = try await database.read(statement)
        let entries = rows.prefix(query.limit).compactMap { r -> (EmailHistoryPage.Entry, String)? in
            guard let id = r.string("id") else { return nil }
            let entry = EmailHistoryPage.Entry(
                id: id, sender: r.string("sender_email") ?? "", subject: r.string("subject") ?? "", receivedAt: r.date("received_datetime"),
                status: r.value("processing_status"), category: r.string("category"), confidence: r.double("confidence"),
                urgency: r.string("urgency"), decision: r.string("decision"))
            return (entry, r.string("received_text") ?? "")
        }
        var next: String?
        if rows.count > query.limit, let last = entries.last {
            next = EmailHistoryCursor(received: last.1, id: last.0.id)?.token
        }
        return EmailHistoryPage(emails: entries.map(\.0), nextCursor: next)
    }

    public func recordFeedback(_ feedback: ClassificationFeedback) async throws -> String? {
        let id = UUID().uuidString.lowercased()
        let rows = try await database.write("""
            INSERT INTO classification_feedback (id, email_id, correct_category, correct_urgency, rating, comment, created_at)
            SELECT \(id), id, \(feedback.correctCategory.rawValue), \(feedback.correctUrgency?.rawValue), \(feedback.rating), \(feedback.comment), \(now())
            FROM email_messages WHERE id = \(feedback.emailId)
            RETURNING id
            """)
        return rows.first?.string("id")
    }

    /// A stored JSON column as JSON; text that does not parse (it never should) is kept as a string.
    static func json(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return (try? JSONValue.parse(Array(text.utf8))) ?? .string(text)
    }
}
