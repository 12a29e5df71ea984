import Foundation
import MailHookCore
import MailHookGraph
import MailHookStore

/// Stage 1, resolve: turns an inbox row into the email it is about. Graph notifications, delta
/// rows and by-reference events are fetched from Graph; canonical and IMAP-bridge events carry
/// their content.
struct ResolveStage: Sendable {
    enum Resolution: Sendable {
        /// An email to process; `graphMessage` when it lives in a mailbox MailHook can act on.
        case email(EmailMessage, graphMessage: Bool)
        /// Nothing to process: the inbox row ends with this status.
        case finished(status: InboxStatus, note: String)
    }

    let graph: GraphClient?

    func resolve(_ row: InboxRow, receivedAt: Date) async throws -> Resolution {
        // A stored payload was once a request: one that cannot be read never will be.
        let payload: JSONValue
        do {
            payload = try JSONValue.parse(Array(row.payload.utf8))
        } catch {
            throw UnprocessableItem("the stored payload is not JSON (\(error))")
        }
        let target: (mailbox: String, message: String)
        switch row.kind {
        case .canonicalEvent, .imapBridgeEvent:
            do {
                let email = try EventEmailMapper.map(
                    payload, endpoint: row.endpoint, fallbackId: EventEmailMapper.fallbackId(dedupeKey: row.dedupeKey), receivedAt: receivedAt)
                return .email(email, graphMessage: false)
            } catch {
                throw UnprocessableItem("the stored event cannot be read: \(error)")
            }
        case .graphNotification:
            let item = GraphNotificationBatch.Item(payload, text: row.payload)
            guard item?.changeType == "created" else { return .finished(status: .completed, note: "not a new message") }
            guard let resolved = item?.mailboxAndMessage else {
                return .finished(status: .completed, note: "the notification names no message")
            }
            target = resolved
        case .deltaMessage:
            guard let mailbox = payload["mailbox"]?.stringValue, let id = payload["messageId"]?.stringValue else {
                return .finished(status: .completed, note: "the delta row names no message")
            }
            target = (mailbox, id)
        case .referenceEvent:
            guard let mailbox = payload["graph"]?["mailbox"]?.stringValue, let id = payload["graph"]?["messageId"]?.stringValue else {
                return .finished(status: .completed, note: "the event names no message")
            }
            target = (mailbox, id)
        case .graphLifecycle:
            return .finished(status: .completed, note: "a lifecycle notification is not an email")
        }
        guard let graph else {
            // Not claimed without Graph (see PipelineProcessor.kinds); kept for `mailhook replay` if it ever gets here.
            return .finished(status: .dead, note: "the item names a Graph message but graph is not configured (graph.tenantId)")
        }
        guard let json = try await graph.message(mailbox: target.mailbox, id: target.message) else {
            return .finished(status: .gone, note: "the message no longer exists (deleted or moved)")
        }
        return .email(try GraphMessageMapper.map(json, mailbox: target.mailbox), graphMessage: true)
    }
}
