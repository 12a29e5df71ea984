import MailHookCore
import MailHookStore
import Synchronization

/// Knows which clientState each Graph subscription must carry and which mailbox it covers.
///
/// Every live subscription is loaded in one query and kept for ``cacheLifetime``; an id not
/// seen reloads the set at most once per ``reloadInterval``, so a flood of unknown ids costs no
/// more queries than one. Subscriptions still being created (their clientState is stored before
/// the create call, on this replica or another) verify by clientState. The static
/// `graph.clientState` is accepted only for the subscriptions listed in
/// `graph.externalSubscriptions`, each for its own mailbox.
public final class SubscriptionDirectory: Sendable {
    public enum Verdict: Equatable, Sendable {
        /// The clientState matched; `mailboxes` (lower-cased address and object id) are the ones
        /// the subscription covers.
        case valid(mailboxes: Set<String>)
        case missingClientState
        case mismatch
        case unknownSubscription
    }

    struct Entry: Sendable {
        let clientState: String
        let mailboxes: Set<String>
    }

    private struct Loaded {
        var known: [String: Entry] = [:]
        /// Creates in flight (no Graph id yet), by clientState.
        var pending: [String: Set<String>] = [:]
        var at: ContinuousClock.Instant?
    }

    private let store: any SubscriptionStore
    private let external: [String: Entry]
    private let cacheLifetime: Duration
    private let reloadInterval: Duration
    private let loaded = Mutex(Loaded())
    /// Ids this replica created or reused, so a load that raced their commit cannot hide them.
    private let remembered = Mutex<[String: Entry]>([:])
    /// Creates in flight in this process, by clientState.
    private let localPending = Mutex<[String: (count: Int, mailboxes: Set<String>)]>([:])
    private let loading = Mutex<Task<Void, any Error>?>(nil)

    public init(
        store: any SubscriptionStore, staticClientState: Secret?, external: [MailHookConfiguration.Graph.ExternalSubscription] = [],
        cacheLifetime: Duration = .seconds(300), reloadInterval: Duration = .seconds(5)
    ) {
        self.store = store
        var entries: [String: Entry] = [:]
        if let staticClientState {
            for subscription in external {
                entries[subscription.id.lowercased()] = Entry(clientState: staticClientState.value, mailboxes: [subscription.mailbox.lowercased()])
            }
        }
        self.external = entries
        self.cacheLifetime = cacheLifetime
        self.reloadInterval = reloadInterval
    }

    /// Checks an item's clientState in constant time. Throws when the store cannot answer.
    public func verify(subscriptionId: String, clientState: String?) async throws -> Verdict {
        guard let clientState, !clientState.isEmpty else { return .missingClientState }
        let id = subscriptionId.lowercased()
        if let entry = external[id] {
            return ConstantTime.equals(clientState, entry.clientState) ? .valid(mailboxes: entry.mailboxes) : .mismatch
        }
        let now = ContinuousClock.now
        var state = loaded.withLock { $0 }
        let stale = state.at.map { now - $0 >= cacheLifetime } ?? true
        let mayReload = state.at.map { now - $0 >= reloadInterval } ?? true
        if stale || (mayReload && state.known[id] == nil && remembered.withLock({ $0[id] }) == nil) {
            try await reload()
            state = loaded.withLock { $0 }
        }
        if let entry = state.known[id] ?? remembered.withLock({ $0[id] }) {
            return ConstantTime.equals(clientState, entry.clientState) ? .valid(mailboxes: entry.mailboxes) : .mismatch
        }
        // Compare against every candidate (no early exit), so timing does not say which matched.
        var match: Set<String>?
        let local = localPending.withLock { $0.mapValues(\.mailboxes) }
        for (candidate, mailboxes) in state.pending.merging(local, uniquingKeysWith: { $0.union($1) })
        where ConstantTime.equals(clientState, candidate) {
            match = mailboxes
        }
        return match.map { .valid(mailboxes: $0) } ?? .unknownSubscription
    }

    /// Loads every live subscription; concurrent callers share one load.
    private func reload() async throws {
        let task = loading.withLock { current -> Task<Void, any Error> in
            if let current { return current }
            let made = Task { [store] in
                let rows = try await store.subscriptionRows()
                var next = Loaded(at: .now)
                for row in rows {
                    let mailboxes = Set([row.mailbox.lowercased()] + (row.mailboxId.map { [$0.lowercased()] } ?? []))
                    switch row.status {
                    case .active:
                        if let id = row.subscriptionId { next.known[id.lowercased()] = Entry(clientState: row.clientState, mailboxes: mailboxes) }
                    case .pending:
                        next.pending[row.clientState, default: []].formUnion(mailboxes)
                    default:
                        break
                    }
                }
                self.loaded.withLock { $0 = next }
            }
            current = made
            return made
        }
        defer { loading.withLock { if $0 == task { $0 = nil } } }
        try await task.value
    }

    /// Marks a clientState as belonging to a create call in flight (until `endPending`).
    public func beginPending(clientState: String, mailbox: String, mailboxId: String?) {
        let mailboxes = Set([mailbox.lowercased()] + (mailboxId.map { [$0.lowercased()] } ?? []))
        localPending.withLock {
            let current = $0[clientState]
            $0[clientState] = ((current?.count ?? 0) + 1, (current?.mailboxes ?? []).union(mailboxes))
        }
    }

    public func endPending(clientState: String) {
        localPending.withLock {
            guard let current = $0[clientState] else { return }
            $0[clientState] = current.count > 1 ? (current.count - 1, current.mailboxes) : nil
        }
    }

    /// Records a live subscription's clientState and mailbox as soon as its Graph id is known.
    public func remember(subscriptionId: String, clientState: String, mailbox: String, mailboxId: String?) {
        let entry = Entry(clientState: clientState, mailboxes: Set([mailbox.lowercased()] + (mailboxId.map { [$0.lowercased()] } ?? [])))
        remembered.withLock { $0[subscriptionId.lowercased()] = entry }
        loaded.withLock { _ = $0.known.updateValue(entry, forKey: subscriptionId.lowercased()) }
    }

    public func forget(subscriptionId: String) {
        remembered.withLock { _ = $0.removeValue(forKey: subscriptionId.lowercased()) }
        loaded.withLock { _ = $0.known.removeValue(forKey: subscriptionId.lowercased()) }
    }
}
