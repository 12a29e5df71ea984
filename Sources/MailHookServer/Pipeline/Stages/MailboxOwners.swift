import MailHookStore
import Synchronization

/// Which addresses a mailbox named by its Graph object id belongs to, so the filter can tell a
/// message the receiving mailbox sent itself without reading every subscription per email.
///
/// An object id never changes owner, so what was found stays; an id not known yet reads the
/// subscriptions again (every time until one names it: a subscription created a moment ago
/// must count at once).
final class MailboxOwners: Sendable {
    private let store: any SubscriptionStore
    private let owners = Mutex<[String: Set<String>]>([:])

    init(store: any SubscriptionStore) {
        self.store = store
    }

    /// Whether `sender` is the mailbox `mailbox` (an address or an object id) itself.
    func isOwn(sender: String, mailbox: String) async throws -> Bool {
        let sender = sender.lowercased()
        let box = mailbox.lowercased()
        if sender == box { return true }
        // Named by its address, a mailbox is only its own sender; object ids hold no "@".
        if box.contains("@") { return false }
        if let known = owners.withLock({ $0[box] }) { return known.contains(sender) }
        var found: [String: Set<String>] = [:]
        for row in try await store.subscriptionRows() {
            if let id = row.mailboxId?.lowercased() { found[id, default: []].insert(row.mailbox.lowercased()) }
        }
        owners.withLock { $0.merge(found) { $0.union($1) } }
        return found[box]?.contains(sender) ?? false
    }
}
