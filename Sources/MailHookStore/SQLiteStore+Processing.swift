import Foundation
import MailHookCore
import SQLiteNIO
import Synchronization

extension SQLiteData {
    static func optionalText(_ value: String?) -> SQLiteData { value.map { .text($0) } ?? .null }
    static func date(_ value: Date?) -> SQLiteData { value.map { .text(GraphDate.format($0)) } ?? .null }
}

extension SQLiteRow {
    func date(_ column: String) -> Date? { self.column(column)?.string.flatMap(GraphDate.parse) }
}

extension SQLiteStore {
    // MARK: Subscriptions

    public func subscriptionRows() async throws -> [SubscriptionRow] {
        try await reader.query("""
            SELECT id, subscription_id, resource, mailbox, mailbox_id, client_state, notification_url, expiration, status,
                   last_renewed_at, last_reauthorized_at, last_error
            FROM subscriptions ORDER BY id
            """).map { row in
            SubscriptionRow(
                rowId: Int64(row.column("id")?.integer ?? 0), subscriptionId: row.column("subscription_id")?.string,
                resource: row.column("resource")?.string ?? "", mailbox: row.column("mailbox")?.string ?? "",
                mailboxId: row.column("mailbox_id")?.string, clientState: row.column("client_state")?.string ?? "",
                notificationUrl: row.column("notification_url")?.string, expiration: row.date("expiration"),
                status: row.column("status")?.string ?? "", lastRenewedAt: row.date("last_renewed_at"),
                lastReauthorizedAt: row.date("last_reauthorized_at"), lastError: row.column("last_error")?.string)
        }
    }

    public func insertPendingSubscription(mailbox: String, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64 {
        try await transaction { db in
            let rows = try await db.query("""
                INSERT INTO subscriptions (resource, mailbox, client_state, notification_url, lifecycle_url, status)
                VALUES (?, ?, ?, ?, ?, 'pending') RETURNING id
                """, [.text(resource), .text(mailbox), .text(clientState), .text(notificationUrl), .text(lifecycleUrl)])
            return Int64(rows.first?.column("id")?.integer ?? 0)
        }
    }

    public func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws {
        _ = try await transaction { db in
            // A stale row that still claims this Graph id (an earlier create that timed out on our side) gives it up.
            _ = try await db.query("UPDATE subscriptions SET subscription_id = NULL, status = 'removed' WHERE subscription_id = ? AND id <> ?",
                                   [.text(subscriptionId), .integer(Int(rowId))])
            _ = try await db.query("""
                UPDATE subscriptions SET subscription_id = ?, expiration = ?, mailbox_id = ?, status = 'active', last_error = NULL,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                WHERE id = ?
                """, [.text(subscriptionId), .date(expiration), .optionalText(mailboxId), .integer(Int(rowId))])
            return true
        }
    }

    public func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws {
        var sets: [String] = []
        var binds: [SQLiteData] = []
        if let status = change.status { sets.append("status = ?"); binds.append(.text(status)) }
        if let expiration = change.expiration { sets.append("expiration = ?"); binds.append(.date(expiration)) }
        if let at = change.lastRenewedAt { sets.append("last_renewed_at = ?"); binds.append(.date(at)) }
        if let at = change.lastReauthorizedAt { sets.append("last_reauthorized_at = ?"); binds.append(.date(at)) }
        if let error = change.lastError { sets.append("last_error = ?"); binds.append(.optionalText(error)) }
        guard !sets.isEmpty else { return }
        sets.append("updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
        binds.append(.integer(Int(rowId)))
        let sql = "UPDATE subscriptions SET \(sets.joined(separator: ", ")) WHERE id = ?"
        let values = binds
        _ = try await transaction { db in
            _ = try await db.query(sql, values)
            return true
        }
    }

    public func deleteSubscriptionRow(rowId: Int64) async throws {
        _ = try await transaction { db in
            _ = try await db.query("DELETE FROM subscriptions WHERE id = ?", [.integer(Int(rowId))])
            return true
        }
    }

    // MARK: Delta

    public func deltaState(mailbox: String, folder: String) async throws -> DeltaState? {
        try await reader.query("SELECT delta_link, last_received_at, last_sync_at FROM delta_state WHERE mailbox = ? AND folder = ?",
                               [.text(mailbox), .text(folder)]).first.map { row in
            DeltaState(mailbox: mailbox, folder: folder, deltaLink: row.column("delta_link")?.string,
                       lastReceivedAt: row.date("last_received_at"), lastSyncAt: row.date("last_sync_at"))
        }
    }

    public func saveDeltaState(_ state: DeltaState) async throws {
        _ = try await transaction { db in
            _ = try await db.query("""
                INSERT INTO delta_state (mailbox, folder, delta_link, last_received_at, last_sync_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (mailbox, folder) DO UPDATE SET delta_link = excluded.delta_link, last_received_at = excluded.last_received_at,
                    last_sync_at = excluded.last_sync_at, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                """, [.text(state.mailbox), .text(state.folder), .optionalText(state.deltaLink), .date(state.lastReceivedAt), .date(state.lastSyncAt)])
            return true
        }
    }

    // MARK: Inbox processing

    public func claimInbox(kinds: [String], limit: Int, owner: String, leaseSeconds: Int) async throws -> [InboxRow] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let now = Date()
        let kindList = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        return try await transaction { db in
            try await db.query("""
                UPDATE inbox SET status = 'processing', lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
                WHERE id IN (
                    SELECT id FROM inbox
                    WHERE kind IN (\(kindList))
                      AND ((status = 'pending' AND next_attempt_at <= ?) OR (status = 'processing' AND lease_until < ?))
                    ORDER BY id LIMIT ?)
                RETURNING \(Self.inboxColumns)
                """, [.text(owner), .date(now.addingTimeInterval(Double(leaseSeconds))), .date(now)] + kinds.map { .text($0) }
                    + [.date(now), .date(now), .integer(limit)]).map(Self.inboxRow).sorted { $0.id < $1.id }
        }
    }

    public func finishInbox(id: Int64, owner: String, status: String, error: String?) async throws {
        _ = try await transaction { db in
            _ = try await db.query("""
                UPDATE inbox SET status = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, completed_at = ?, updated_at = ?
                WHERE id = ? AND lease_owner = ?
                """, [.text(status), .optionalText(error), .date(Date()), .date(Date()), .integer(Int(id)), .text(owner)])
            return true
        }
    }

    public func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws {
        _ = try await transaction { db in
            _ = try await db.query("""
                UPDATE inbox SET status = 'pending', last_error = ?, lease_owner = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ?
                WHERE id = ? AND lease_owner = ?
                """, [.text(error), .date(retryAt), .date(Date()), .integer(Int(id)), .text(owner)])
            return true
        }
    }

    // MARK: Emails

    public func recordEmail(_ email: EmailMessage, inboxId: Int64, source: String) async throws -> Bool {
        let binds: [SQLiteData] = [
            .text(email.id), .integer(Int(inboxId)), .text(source), .optionalText(email.mailbox), .optionalText(email.internetMessageId),
            .text(email.from.address), .optionalText(email.from.name), .text(email.to.map(\.address).joined(separator: ", ")),
            .text(email.subject), .text(email.bodyText), .optionalText(email.bodyHtml), .date(email.receivedAt),
            .optionalText(email.conversationId), .optionalText(email.importance), .integer(email.hasAttachments ? 1 : 0),
        ]
        return try await transaction { db in
            try await db.query("""
                INSERT INTO email_messages (id, inbox_id, source, mailbox, internet_message_id, sender_email, sender_name, recipient_email,
                    subject, body, html_body, received_datetime, conversation_id, importance, attachments_count, processing_status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received')
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, binds).isEmpty == false
        }
    }

    public func emails(limit: Int) async throws -> [StoredEmail] {
        try await reader.query("""
            SELECT id, inbox_id, mailbox, sender_email, subject, body, processing_status FROM email_messages ORDER BY created_at, id LIMIT ?
            """, [.integer(limit)]).map { row in
            StoredEmail(
                id: row.column("id")?.string ?? "", inboxId: row.column("inbox_id")?.integer.map(Int64.init), mailbox: row.column("mailbox")?.string,
                senderEmail: row.column("sender_email")?.string ?? "", subject: row.column("subject")?.string ?? "",
                body: row.column("body")?.string ?? "", processingStatus: row.column("processing_status")?.string)
        }
    }

    public func replayInbox(id: Int64?) async throws -> Int {
        let now = SQLiteData.date(Date())
        return try await transaction { db in
            let rows: [SQLiteRow]
            if let id {
                rows = try await db.query("""
                    UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
                    WHERE id = ? AND status <> 'processing' RETURNING id
                    """, [now, now, .integer(Int(id))])
            } else {
                rows = try await db.query("""
                    UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
                    WHERE status = 'dead' RETURNING id
                    """, [now, now])
            }
            return rows.count
        }
    }

    // MARK: Coordination

    /// SQLite serves one node, so an in-process lock is the whole story.
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        guard heldLocks.withLock({ $0.insert(name).inserted }) else { return nil }
        defer { _ = heldLocks.withLock { $0.remove(name) } }
        return try await body()
    }
}
