import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// The pipeline's first stage for mail that lives in Graph: resolve the message a notification,
/// delta round or by-reference event names, fetch it, drop what the receiver itself sent and
/// what `graph.filters` excludes, and store it in `email_messages` (status `received`, ready for
/// classification). A message that no longer exists completes as `gone`, not as an error.
public struct MessageFetchProcessor: InboxProcessor {
    let graph: GraphClient
    let store: any MailHookStore
    let filters: EmailFilter
    let logger: Logger

    public init(graph: GraphClient, store: any MailHookStore, filters: EmailFilter, logger: Logger) {
        self.graph = graph
        self.store = store
        self.filters = filters
        self.logger = logger
    }

    public var kinds: [NewInboxItem.Kind] { [.graphNotification, .deltaMessage, .referenceEvent] }

    public func process(_ row: InboxRow) async throws -> ProcessingOutcome {
        let payload = try JSONValue.parse(Array(row.payload.utf8))
        let target: (mailbox: String, message: String)
        switch row.kind {
        case NewInboxItem.Kind.graphNotification.rawValue:
            guard payload["changeType"]?.stringValue == "created" else { return .finished(status: "completed", note: "not a new message") }
            guard let resolved = GraphNotificationBatch.Item(payload)?.mailboxAndMessage else { return .finished(status: "completed", note: "the notification names no message") }
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

        guard let json = try await graph.message(mailbox: target.mailbox, id: target.message) else {
            return .finished(status: "gone", note: "the message no longer exists (deleted or moved)")
        }
        let email = try GraphMessageMapper.map(json, mailbox: target.mailbox)
        let ownMail = try await isOwnMailbox(email.from.address, mailbox: target.mailbox)
        if email.isDraft || ownMail {
            // Replies and drafts MailHook itself made must never be processed as inbound mail.
            return .finished(status: "ignored", note: "sent by the receiving mailbox")
        }
        if !filters.isEmpty, !filters.matches(sender: email.from.address, subject: email.subject) {
            return .finished(status: "filtered", note: "excluded by graph.filters")
        }
        try await store.recordEmail(email, inboxId: row.id, source: row.source)
        return .finished(status: "completed")
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
