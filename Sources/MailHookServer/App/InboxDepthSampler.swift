import MailHookStore

/// The inbox depth that `GET /metrics` reports. Counting reads one index entry per open row, and
/// `/metrics` is open to anyone unless `admin.protectMetrics` is set, so the count is shared:
/// requests arriving while one runs wait for it, a result is reused for `freshFor`, and the count
/// stops at `cap` rows. However often `/metrics` is called, the database counts at most `cap`
/// rows per `freshFor`.
actor InboxDepthSampler {
    /// 1,000,000 open rows took 90–500 ms to count on PostgreSQL here (index-only once vacuumed).
    static let defaultCap = 1_000_000

    private let store: any InboxStore
    private let freshFor: Duration
    private let cap: Int
    private var last: (depth: Int, at: ContinuousClock.Instant)?
    private var running: Task<Int?, Never>?

    init(store: any InboxStore, freshFor: Duration = .seconds(5), cap: Int = defaultCap) {
        self.store = store
        self.freshFor = freshFor
        self.cap = cap
    }

    /// The depth, at most `freshFor` old; nil when the database could not be read.
    func depth() async -> Int? {
        if let last, ContinuousClock.now - last.at < freshFor { return last.depth }
        if let running { return await running.value }
        let count = Task { [store, cap] in try? await store.inboxDepth(limit: cap) }
        running = count
        let depth = await count.value
        running = nil
        if let depth { last = (depth, .now) }
        return depth
    }
}
