import MailHookCore
import MailHookStore

/// Stage 2, filter: drops what is not inbound mail for the pipeline. Drafts (MailHook's own
/// included) and mail the receiving mailbox sent are ignored; `graph.filters` exclude senders and
/// subjects of fetched mail (third-party events were filtered at intake).
struct FilterStage: Sendable {
    let owners: MailboxOwners
    let filters: EmailFilter

    init(subscriptions: any SubscriptionStore, filters: EmailFilter) {
        self.owners = MailboxOwners(store: subscriptions)
        self.filters = filters
    }

    /// nil when the email goes on; otherwise how the inbox row ends.
    func verdict(_ email: EmailMessage, graphMessage: Bool) async throws -> (status: InboxStatus, note: String)? {
        guard graphMessage, let mailbox = email.mailbox else { return nil }
        if email.isDraft {
            return (.ignored, "a draft")
        }
        if try await owners.isOwn(sender: email.from.address, mailbox: mailbox) {
            // Replies MailHook itself sent must never be processed as inbound mail.
            return (.ignored, "sent by the receiving mailbox")
        }
        if !filters.isEmpty, !filters.matches(sender: email.from.address, subject: email.subject) {
            return (.filtered, "excluded by graph.filters")
        }
        return nil
    }
}
