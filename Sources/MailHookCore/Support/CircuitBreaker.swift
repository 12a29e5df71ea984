import Synchronization

/// Stops calling a dependency (Graph, the LLM) after repeated failures, then lets one probe through
/// after a cool-down: success closes the circuit, failure opens it again.
public final class CircuitBreaker: Sendable {
    public enum State: String, Sendable { case closed, open, halfOpen = "half-open" }

    private struct Inner {
        var state: State = .closed
        var consecutiveFailures = 0
        var openedAt: ContinuousClock.Instant?
        var probeInFlight = false
    }

    private let failureThreshold: Int
    private let coolDown: Duration
    private let inner = Mutex(Inner())

    public init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30)) {
        self.failureThreshold = failureThreshold
        self.coolDown = coolDown
    }

    public var state: State { inner.withLock { $0.state } }

    /// Whether a call may go ahead now (in half-open state, only the one probe).
    public func allow(now: ContinuousClock.Instant = .now) -> Bool {
        inner.withLock { s in
            switch s.state {
            case .closed:
                return true
            case .open:
                guard let opened = s.openedAt, now - opened >= coolDown else { return false }
                s.state = .halfOpen
                s.probeInFlight = true
                return true
            case .halfOpen:
                if s.probeInFlight { return false }
                s.probeInFlight = true
                return true
            }
        }
    }

    public func recordSuccess() {
        inner.withLock { s in
            s.state = .closed
            s.consecutiveFailures = 0
            s.openedAt = nil
            s.probeInFlight = false
        }
    }

    /// Ends a call that gave no verdict on the dependency's health (an error of our own, a token problem,
    /// a retry with a fresh token): a half-open probe is released, so the next call may probe.
    public func releaseProbe() {
        inner.withLock { s in
            if s.state == .halfOpen { s.probeInFlight = false }
        }
    }

    public func recordFailure(now: ContinuousClock.Instant = .now) {
        inner.withLock { s in
            s.consecutiveFailures += 1
            if s.state == .halfOpen || s.consecutiveFailures >= failureThreshold {
                s.state = .open
                s.openedAt = now
                s.probeInFlight = false
            }
        }
    }
}
