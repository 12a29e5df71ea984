import Foundation
import MailHookCore

extension SQLStore: SubscriptionStore {
    public func subscriptionRows() async throws -> [SubscriptionRow] {
        try await database.read("""
            SELECT id, subscription_id, resource, mailbox, mailbox_id, client_state, notification_url, expiration, status,
                   last_renewed_at, last_reauthorized_at, last_error
            FROM subscriptions ORDER BY id
            """).map { row in
            // A status this version does not know reads as removed: never renewed, never trusted.
            SubscriptionRow(
                rowId: row.int64("id") ?? 0, subscriptionId: row.string("subscription_id"), resource: row.string("resource") ?? "",
                mailbox: row.string("mailbox") ?? "", mailboxId: row.string("mailbox_id"), clientState: row.string("client_state") ?? "",
                notificationUrl: row.string("notification_url"), expiration: row.date("expiration"),
                status: row.value("status") ?? .removed, lastRenewedAt: row.date("last_renewed_at"),
                lastReauthorizedAt: row.date("last_reauthorized_at"), lastError: row.string("last_error"))
        }
    }

    public func insertPendingSubscription(mailbox: String, mailboxId: String?, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64 {
        let rows = try await database.write("""
            INSERT INTO subscriptions (resource, mailbox, mailbox_id, client_state, notification_url, lifecycle_url, status)
            VALUES (\(resource), \(mailbox), \(mailboxId), \(clientState), \(notificationUrl), \(lifecycleUrl), \(SubscriptionStatus.pending)) RETURNING id
            """)
        guard let id = rows.first?.int64("id") else { throw StoreUnavailable("the subscription row was not created") }
        return id
    }

    public func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws {
        let now = now()
        try await database.transaction { db in
            // A stale row that still claims this Graph id (an earlier create that timed out on our side) gives it up.
            try await db.run("""
                UPDATE subscriptions SET subscription_id = NULL, status = \(SubscriptionStatus.removed)
                WHERE subscription_id = \(subscriptionId) AND id <> \(rowId)
                """)
            try await db.run("""
                UPDATE subscriptions SET subscription_id = \(subscriptionId), expiration = \(expiration), mailbox_id = \(mailboxId),
                    status = \(SubscriptionStatus.active), last_error = NULL, updated_at = \(now)
                WHERE id = \(rowId)
                """)
        }
    }

    public func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws {
        // COALESCE keeps a column the change leaves out; `lastError: .some(nil)` clears it.
        let clearError = change.lastError.map { $0 == nil } ?? false
        let newError: String? = change.lastError ?? nil
        try await database.write("""
            UPDATE subscriptions SET
                status = COALESCE(\(change.status), status),
                expiration = COALESCE(\(change.expiration), expiration),
                last_renewed_at = COALESCE(\(change.lastRenewedAt), last_renewed_at),
                last_reauthorized_at = COALESCE(\(change.lastReauthorizedAt), last_reauthorized_at),
                last_error = CASE WHEN \(clearError) THEN NULL ELSE COALESCE(\(newError), last_error) END,
                updated_at = \(now())
            WHERE id = \(rowId)
            """)
    }

    public func deleteSubscriptionRow(rowId: Int64) async throws {
        try await database.write("DELETE FROM subscriptions WHERE id = \(rowId)")
    }

    public func deltaState(mailbox: String, folder: String) async throws -> DeltaState? {
        try await database.read("""
            SELECT delta_link, last_received_at, last_sync_at, requested_at FROM delta_state WHERE mailbox = \(mailbox) AND folder = \(folder)
            """).first.map { row in
            DeltaState(mailbox: mailbox, folder: folder, deltaLink: row.string("delta_link"), lastReceivedAt: row.date("last_received_at"),
                       lastSyncAt: row.date("last_sync_at"), requestedAt: row.date("requested_at"))
        }
    }

    public func requestDelta(mailbox: String, folder: String, at: Date) async throws {
        try await database.write("""
            INSERT INTO delta_state (mailbox, folder, requested_at) VALUES (\(mailbox), \(folder), \(at))
            ON CONFLICT (mailbox, folder) DO UPDATE SET requested_at = excluded.requested_at
            """)
    }

    public func saveDeltaState(_ state: DeltaState) async throws {
        try await database.write("""
            INSERT INTO delta_state (mailbox, folder, delta_link, last_received_at, last_sync_at)
            VALUES (\(state.mailbox), \(state.folder), \(state.deltaLink), \(state.lastReceivedAt), \(state.lastSyncAt))
            ON CONFLICT (mailbox, folder) DO UPDATE SET delta_link = excluded.delta_link, last_received_at = excluded.last_received_at,
                last_sync_at = excluded.last_sync_at, updated_at = \(now())
            """)
    }

    public func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws {
        try await database.write("INSERT INTO audit_log (actor, action, subject, detail) VALUES (\(actor), \(action), \(subject), \(json: detail))")
    }
}
