import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// The pipeline's first two stages: resolve an inbox row to the email it is about, then filter.
/// Graph notifications, delta rows and by-reference events are fetched from Graph (replies and
/// drafts the receiver made itself are dropped, then `graph.filters`); canonical and IMAP-bridge
/// events carry their content (their integration's filters ran at intake).
struct MessageResolver: Sendable {
    enum Resolution: Sendable {
        /// An email to process; `graphMessage` when it lives in a mailbox MailHook can act on.
        case email(EmailMessage, graphMessage: Bool)
        /// Nothing to process: the inbox row ends with this status.
        case finished(status: String, note: String)
    }

    let graph: GraphClient?
    let store: any MailHookStore
    let filters: EmailFilter

    func resolve(_ row: InboxRow, receivedAt: Date) async throws -> Resolution {
        let payload = try JSONValue.parse(Array(row.payload.utf8))
        let target: (mailbox: String, message: String)
        switch row.kind {
        case NewInboxItem.Kind.canonicalEvent.rawValue, NewInboxItem.Kind.imapBridgeEvent.rawValue:
            let email = try EventEmailMapper.map(
                payload, endpoint: row.endpoint, fallbackId: EventEmailMapper.fallbackId(dedupeKey: row.dedupeKey), receivedAt: receivedAt)
            return .email(email, graphMessage: false)
        case NewInboxItem.Kind.graphNotification.rawValue:
            guard payload["changeType"]?.stringValue == "created" else { return .finished(status: "completed", note: "not a new message") }
            guard let resolved = GraphNotificationBatch.Item(payload)?.mailboxAndMessage else {
                return .finished(status: "completed", note: "the notification names no message")
            }
            target = resolved
        case NewInboxItem.Kind.deltaMessage.rawValue:
            guard let mailbox = payload["mailbox"]?.stringValue, let id = payload["messageId"]?.stringValue else {
                return .finished(status: "completed", note: "the delta row names no message")
            }
            target = (mailbox, id)
        default:
            guard let mailbox = payload["graph"]?["mailbox"]?.stringValue, let id = payload["graph"]?["messageId"]?.stringValue else {
                return .finished(status: "completed", note: "the event names no message")
            }
            target = (mailbox, id)
        }
        guard let graph else {
            // Not claimed without Graph (see PipelineProcessor.kinds); kept for `mailhook replay` if it ever gets here.
            return .finished(status: "dead", note: "the item names a Graph message but graph is not configured (graph.tenantId)")
        }
        guard let json = try await graph.message(mailbox: target.mailbox, id: target.message) else {
            return .finished(status: "gone", note: "the message no longer exists (deleted or moved)")
        }
        let email = try GraphMessageMapper.map(json, mailbox: target.mailbox)
        if email.isDraft {
            // Drafts (the ones MailHook creates included) are not inbound mail.
            return .finished(status: "ignored", note: "a draft")
        }
        if try await isOwnMailbox(email.from.address, mailbox: target.mailbox) {
            // Replies MailHook itself sent must never be processed as inbound mail.
            return .finished(status: "ignored", note: "sent by the receiving mailbox")
        }
        if !filters.isEmpty, !filters.matches(sender: email.from.address, subject: email.subject) {
            return .finished(status: "filtered", note: "excluded by graph.filters")
        }
        return .email(email, graphMessage: true)
    }

    /// Whether `address` is the mailbox the message was received in (by UPN, or by the UPN of the
    /// subscription whose mailbox object id it is).
    func isOwnMailbox(_ address: String, mailbox: String) async throws -> Bool {
        let sender = address.lowercased()
        if sender == mailbox.lowercased() { return true }
        let rows = try await store.subscriptionRows()
        return rows.contains { ($0.mailboxId?.lowercased() == mailbox.lowercased() || $0.mailbox.lowercased() == mailbox.lowercased()) && $0.mailbox.lowercased() == sender }
    }
}
