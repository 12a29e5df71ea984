import Foundation
import MailHookCore

extension SQLStore: StoreInspection {
    public func tableNames() async throws -> Set<String> {
        Set(try await database.read("\(raw: dialect.tableNamesQuery)").compactMap { $0.string("name") })
    }

    public func claimPlan(kinds: [InboxKind]) async throws -> [String] {
        // PostgreSQL plans on its statistics; make them current, as autovacuum would in time.
        if dialect == .postgres { try await database.write("ANALYZE inbox") }
        var statement: SQLStatement = dialect == .postgres ? "EXPLAIN " : "EXPLAIN QUERY PLAN "
        statement.append(claimCandidates(kinds: kinds, limit: 50, now: now(), locking: false))
        return try await database.read(statement).compactMap { $0.string(dialect == .postgres ? "QUERY PLAN" : "detail") }
    }

    public func inboxRows(limit: Int) async throws -> [InboxRow] {
        try await database.read("SELECT \(raw: Self.inboxColumns) FROM inbox ORDER BY id LIMIT \(limit)").compactMap(Self.inboxRow)
    }

    public func emails(limit: Int) async throws -> [StoredEmail] {
        try await database.read("""
            SELECT id, inbox_id, mailbox, sender_email, subject, body, processing_status FROM email_messages
            ORDER BY \(raw: dialect.insertionOrder) LIMIT \(limit)
            """).map { row in
            StoredEmail(
                id: row.string("id") ?? "", inboxId: row.int64("inbox_id"), mailbox: row.string("mailbox"),
                senderEmail: row.string("sender_email") ?? "", subject: row.string("subject") ?? "", body: row.string("body") ?? "",
                processingStatus: row.value("processing_status"))
        }
    }

    public func actionRecords(inboxId: Int64?) async throws -> [ActionRecord] {
        var statement: SQLStatement = "SELECT \(raw: Self.actionColumns) FROM action_records"
        if let inboxId { statement.append(" WHERE inbox_id = \(inboxId)") }
        statement.append(" ORDER BY id")
        return try await database.read(statement).compactMap(Self.actionRecord)
    }

    public func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue] {
        if table == .emailPatterns { try await foldAllPatterns() }
        // The table name is a ReadableTable raw value, never outside input.
        let order = table.hasIntegerId ? "id" : dialect.insertionOrder
        return try await database.read("SELECT * FROM \(raw: table.rawValue) ORDER BY \(raw: order) LIMIT \(limit)").map(\.json)
    }

    public func saveSubscription(_ s: SubscriptionRecord) async throws {
        if let id = s.subscriptionId {
            try await database.write("""
                INSERT INTO subscriptions (subscription_id, resource, mailbox, client_state, expiration, status)
                VALUES (\(id), \(s.resource), \(s.mailbox), \(s.clientState), \(s.expiration), \(s.status))
                ON CONFLICT (subscription_id) DO UPDATE SET resource = excluded.resource, mailbox = excluded.mailbox,
                    client_state = excluded.client_state, expiration = excluded.expiration, status = excluded.status,
                    updated_at = \(now())
                """)
        } else {
            try await database.write("""
                INSERT INTO subscriptions (resource, mailbox, client_state, expiration, status)
                VALUES (\(s.resource), \(s.mailbox), \(s.clientState), \(s.expiration), \(s.status))
                """)
        }
    }
}
