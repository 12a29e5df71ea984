import Synchronization

/// Limits every connection shares: how many may be open, and how long a request head may take.
public final class ConnectionLimits: Sendable {
    public let maxConnections: Int
    public let headerTimeout: Duration
    private let open = Atomic<Int>(0)

    public init(maxConnections: Int, headerTimeout: Duration) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
    }

    /// Counts a new connection; false when it would exceed the limit (it is not counted then).
    func admit() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        if now <= maxConnections { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    /// Connections open now.
    public var current: Int { open.load(ordering: .relaxed) }
}
