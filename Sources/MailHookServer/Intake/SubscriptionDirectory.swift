import MailHookCore
import MailHookStore
import Synchronization

/// Knows which clientState each Graph subscription must carry. Known subscriptions are cached
/// for a few minutes, so verifying a notification costs no database read; an id not seen before
/// is looked up once, and matched against subscriptions still being created (their clientState
/// is stored before the create call) and the optional static `graph.clientState`.
public final class SubscriptionDirectory: Sendable {
    public enum Verdict: Equatable, Sendable {
        case valid
        case missingClientState
        case mismatch
        case unknownSubscription
    }

    private struct Entry {
        let clientState: String
        let cachedAt: ContinuousClock.Instant
    }

    private let store: any SubscriptionStore
    private let staticClientState: Secret?
    private let cacheLifetime: Duration
    private let cache = Mutex<[String: Entry]>([:])
    /// Client states of creates in flight in this process.
    private let localPending = Mutex<[String: Int]>([:])

    public init(store: any SubscriptionStore, staticClientState: Secret?, cacheLifetime: Duration = .seconds(300)) {
        self.store = store
        self.staticClientState = staticClientState
        self.cacheLifetime = cacheLifetime
    }

    /// Checks every item's clientState in constant time. Throws when the store cannot answer.
    public func verify(subscriptionId: String, clientState: String?) async throws -> Verdict {
        guard let clientState, !clientState.isEmpty else { return .missingClientState }
        let now = ContinuousClock.now
        let cached = cache.withLock { $0[subscriptionId] }
        if let cached, now - cached.cachedAt < cacheLifetime {
            return ConstantTime.equals(clientState, cached.clientState) ? .valid : .mismatch
        }
        let candidates = try await store.clientStates(forSubscription: subscriptionId)
        if let known = candidates.known {
            cache.withLock { $0[subscriptionId] = Entry(clientState: known, cachedAt: now) }
            return ConstantTime.equals(clientState, known) ? .valid : .mismatch
        }
        var accepted = false
        // Compare against every candidate (no early exit), so timing does not say which matched.
        for candidate in candidates.pending + localPending.withLock({ Array($0.keys) }) {
            if ConstantTime.equals(clientState, candidate) { accepted = true }
        }
        if let staticState = staticClientState?.value, ConstantTime.equals(clientState, staticState) {
            // A subscription made outside MailHook: remember it like a known one, so its
            // notifications cost no lookup for the cache lifetime.
            cache.withLock { $0[subscriptionId] = Entry(clientState: staticState, cachedAt: now) }
            accepted = true
        }
        return accepted ? .valid : .unknownSubscription
    }

    /// Marks a clientState as belonging to a create call in flight (until `end` is called).
    public func beginPending(clientState: String) {
        localPending.withLock { $0[clientState, default: 0] += 1 }
    }

    public func endPending(clientState: String) {
        localPending.withLock {
            let n = ($0[clientState] ?? 1) - 1
            $0[clientState] = n > 0 ? n : nil
        }
    }

    /// Records a subscription's clientState once its Graph id is known.
    public func remember(subscriptionId: String, clientState: String) {
        cache.withLock { $0[subscriptionId] = Entry(clientState: clientState, cachedAt: .now) }
    }

    public func forget(subscriptionId: String) {
        cache.withLock { _ = $0.removeValue(forKey: subscriptionId) }
    }
}
