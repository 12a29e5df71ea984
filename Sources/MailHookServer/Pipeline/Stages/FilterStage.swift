import MailHookCore
import MailHookStore

/// Stage 2, filter: drops what is not inbound mail for the pipeline. Drafts (MailHook's own
/// included) and mail the receiving mailbox sent are ignored; `graph.filters` exclude senders and
/// subjects of fetched mail (third-party events were filtered at intake).
struct FilterStage: Sendable {
    let subscriptions: any SubscriptionStore
    let filters: EmailFilter

    /// nil when the email goes on; otherwise how the inbox row ends.
    func verdict(_ email: EmailMessage, graphMessage: Bool) async throws -> (status: InboxStatus, note: String)? {
        guard graphMessage, let mailbox = email.mailbox else { return nil }
        if email.isDraft {
            return (.ignored, "a draft")
        }
        if try await isOwnMailbox(email.from.address, mailbox: mailbox) {
            // Replies MailHook itself sent must never be processed as inbound mail.
            return (.ignored, "sent by the receiving mailbox")
        }
        if !filters.isEmpty, !filters.matches(sender: email.from.address, subject: email.subject) {
            return (.filtered, "excluded by graph.filters")
        }
        return nil
    }

    /// Whether `address` is the mailbox the message was received in (by UPN, or by the UPN of the
    /// subscription whose mailbox object id it is).
    func isOwnMailbox(_ address: String, mailbox: String) async throws -> Bool {
        let sender = address.lowercased()
        let box = mailbox.lowercased()
        if sender == box { return true }
        return try await subscriptions.subscriptionRows().contains {
            ($0.mailboxId?.lowercased() == box || $0.mailbox.lowercased() == box) && $0.mailbox.lowercased() == sender
        }
    }
}
