import Foundation
import MailHookCore
import PostgresNIO

extension PostgresStore {
    // MARK: Subscriptions

    public func subscriptionRows() async throws -> [SubscriptionRow] {
        let rows = try await client.query("""
            SELECT id, subscription_id, resource, mailbox, mailbox_id, client_state, notification_url, expiration, status,
                   last_renewed_at, last_reauthorized_at, last_error
            FROM subscriptions ORDER BY id
            """, logger: logger)
        var out: [SubscriptionRow] = []
        for try await (id, sub, resource, mailbox, mailboxId, state, url, expiration, status, renewed, reauthorized, error)
            in rows.decode((Int64, String?, String, String, String?, String, String?, Date?, String, Date?, Date?, String?).self) {
            out.append(SubscriptionRow(
                rowId: id, subscriptionId: sub, resource: resource, mailbox: mailbox, mailboxId: mailboxId, clientState: state,
                notificationUrl: url, expiration: expiration, status: status, lastRenewedAt: renewed, lastReauthorizedAt: reauthorized,
                lastError: error))
        }
        return out
    }

    public func insertPendingSubscription(mailbox: String, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64 {
        let rows = try await client.query("""
            INSERT INTO subscriptions (resource, mailbox, client_state, notification_url, lifecycle_url, status)
            VALUES (\(resource), \(mailbox), \(clientState), \(notificationUrl), \(lifecycleUrl), 'pending') RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw StoreUnavailable("the subscription row was not created")
    }

    public func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query("UPDATE subscriptions SET subscription_id = NULL, status = 'removed' WHERE subscription_id = \(subscriptionId) AND id <> \(rowId)", logger: logger)
            try await conn.query("""
                UPDATE subscriptions SET subscription_id = \(subscriptionId), expiration = \(expiration), mailbox_id = \(mailboxId),
                    status = 'active', last_error = NULL, updated_at = now()
                WHERE id = \(rowId)
                """, logger: logger)
        }
    }

    public func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws {
        // COALESCE keeps a column when the change leaves it out.
        let clearError = change.lastError.map { $0 == nil } ?? false
        let newError: String? = change.lastError ?? nil
        try await client.query("""
            UPDATE subscriptions SET
                status = COALESCE(\(change.status), status),
                expiration = COALESCE(\(change.expiration), expiration),
                last_renewed_at = COALESCE(\(change.lastRenewedAt), last_renewed_at),
                last_reauthorized_at = COALESCE(\(change.lastReauthorizedAt), last_reauthorized_at),
                last_error = CASE WHEN \(clearError) THEN NULL ELSE COALESCE(\(newError), last_error) END,
                updated_at = now()
            WHERE id = \(rowId)
            """, logger: logger)
    }

    public func deleteSubscriptionRow(rowId: Int64) async throws {
        try await client.query("DELETE FROM subscriptions WHERE id = \(rowId)", logger: logger)
    }

    // MARK: Delta

    public func deltaState(mailbox: String, folder: String) async throws -> DeltaState? {
        let rows = try await client.query(
            "SELECT delta_link, last_received_at, last_sync_at FROM delta_state WHERE mailbox = \(mailbox) AND folder = \(folder)", logger: logger)
        for try await (link, received, synced) in rows.decode((String?, Date?, Date?).self) {
            return DeltaState(mailbox: mailbox, folder: folder, deltaLink: link, lastReceivedAt: received, lastSyncAt: synced)
        }
        return nil
    }

    public func saveDeltaState(_ state: DeltaState) async throws {
        try await client.query("""
            INSERT INTO delta_state (mailbox, folder, delta_link, last_received_at, last_sync_at)
            VALUES (\(state.mailbox), \(state.folder), \(state.deltaLink), \(state.lastReceivedAt), \(state.lastSyncAt))
            ON CONFLICT (mailbox, folder) DO UPDATE SET delta_link = excluded.delta_link, last_received_at = excluded.last_received_at,
                last_sync_at = excluded.last_sync_at, updated_at = now()
            """, logger: logger)
    }

    // MARK: Inbox processing

    public func claimInbox(kinds: [String], limit: Int, owner: String, leaseSeconds: Int) async throws -> [InboxRow] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        // SKIP LOCKED: replicas claiming at the same time take different rows.
        let rows = try await Self.inboxRows(try await client.query("""
            UPDATE inbox SET status = 'processing', lease_owner = \(owner), lease_until = now() + make_interval(secs => \(Double(leaseSeconds))),
                attempts = attempts + 1, updated_at = now()
            WHERE id IN (
                SELECT id FROM inbox
                WHERE kind = ANY(\(kinds)::text[])
                  AND ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'processing' AND lease_until < now()))
                ORDER BY id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING id, source, kind, endpoint, subscription_id, dedupe_key, message_key, payload, status, attempts, last_error
            """, logger: logger))
        return rows.sorted { $0.id < $1.id }
    }

    public func finishInbox(id: Int64, owner: String, status: String, error: String?) async throws {
        try await client.query("""
            UPDATE inbox SET status = \(status), last_error = \(error), lease_owner = NULL, lease_until = NULL, completed_at = now(), updated_at = now()
            WHERE id = \(id) AND lease_owner = \(owner)
            """, logger: logger)
    }

    public func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws {
        try await client.query("""
            UPDATE inbox SET status = 'pending', last_error = \(error), lease_owner = NULL, lease_until = NULL, next_attempt_at = \(retryAt),
                updated_at = now()
            WHERE id = \(id) AND lease_owner = \(owner)
            """, logger: logger)
    }

    // MARK: Emails

    public func recordEmail(_ email: EmailMessage, inboxId: Int64, source: String) async throws -> Bool {
        let recipients = email.to.map(\.address).joined(separator: ", ")
        let attachments = email.hasAttachments ? 1 : 0
        let rows = try await client.query("""
            INSERT INTO email_messages (id, inbox_id, source, mailbox, internet_message_id, sender_email, sender_name, recipient_email,
                subject, body, html_body, received_datetime, conversation_id, importance, attachments_count, processing_status)
            VALUES (\(email.id), \(inboxId), \(source), \(email.mailbox), \(email.internetMessageId), \(email.from.address), \(email.from.name),
                \(recipients), \(email.subject), \(email.bodyText), \(email.bodyHtml), \(email.receivedAt), \(email.conversationId),
                \(email.importance), \(attachments), 'received')
            ON CONFLICT (id) DO NOTHING RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    public func emails(limit: Int) async throws -> [StoredEmail] {
        let rows = try await client.query("""
            SELECT id, inbox_id, mailbox, sender_email, subject, body, processing_status FROM email_messages ORDER BY created_at, id LIMIT \(limit)
            """, logger: logger)
        var out: [StoredEmail] = []
        for try await (id, inboxId, mailbox, sender, subject, body, status) in rows.decode((String, Int64?, String?, String, String, String, String?).self) {
            out.append(StoredEmail(id: id, inboxId: inboxId, mailbox: mailbox, senderEmail: sender, subject: subject, body: body, processingStatus: status))
        }
        return out
    }

    public func replayInbox(id: Int64?) async throws -> Int {
        let rows: PostgresRowSequence
        if let id {
            rows = try await client.query("""
                UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE id = \(id) AND status <> 'processing' RETURNING id
                """, logger: logger)
        } else {
            rows = try await client.query("""
                UPDATE inbox SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now()
                WHERE status = 'dead' RETURNING id
                """, logger: logger)
        }
        var count = 0
        for try await _ in rows.decode(Int64.self) { count += 1 }
        return count
    }

    // MARK: Coordination

    /// A session advisory lock held on one pooled connection for the length of `body`.
    public func withExclusiveLock<T: Sendable>(_ name: String, _ body: @Sendable () async throws -> T) async throws -> T? {
        let key = Self.lockKey(name)
        return try await client.withConnection { conn in
            var acquired = false
            for try await got in try await conn.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) { acquired = got }
            guard acquired else { return nil }
            do {
                let value = try await body()
                try await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                return value
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                throw error
            }
        }
    }

    /// FNV-1a: a stable 64-bit key for a lock name.
    static func lockKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int64(bitPattern: hash)
    }
}
