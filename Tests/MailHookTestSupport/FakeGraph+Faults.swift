import Foundation
import Synchronization

extension FakeGraph {
    // MARK: - Failure injection

    /// Answers `fraction` of authenticated `/v1.0` requests with 429 `ApplicationThrottled`. The choice is deterministic:
    /// request n (counted from this call) is throttled when `floor(n·fraction)` grows. 0 turns it off.
    public func setThrottle(fraction: Double, retryAfterSeconds: Int) {
        state.withLock {
            $0.throttle = fraction > 0 ? .init(fraction: min(fraction, 1), retryAfterSeconds: retryAfterSeconds) : nil
            $0.throttleSequence = 0
        }
    }

    /// Answers the next `count` authenticated `/v1.0` requests with `status` and a Graph error body.
    public func failNext(_ count: Int, status: Int, retryAfter: String? = nil) {
        state.withLock { $0.failures = .init(remaining: max(0, count), status: status, retryAfter: retryAfter) }
    }

    /// Answers the next `count` authenticated `/v1.0` requests with 200 and an HTML page, as a
    /// proxy in front of Graph might.
    public func garbleNext(_ count: Int) {
        state.withLock { $0.garbledAnswers = max(0, count) }
    }

    /// While set, every request — the token endpoint included — is answered with `status` (Graph
    /// and Entra down); nil ends the outage.
    public func setOutage(status: Int?) { state.withLock { $0.outageStatus = status } }

    /// Answers the next `count` token requests with 500 (Entra down); other requests are unaffected.
    public func failTokenRequests(_ count: Int) {
        state.withLock { $0.tokenFailures = max(0, count) }
    }

    /// Authenticated `/v1.0` requests with `method` whose path ends with `pathSuffix` (say `POST`
    /// and `/reply`) wait `delay` before Graph does anything: a slow call whose effect lands only
    /// at its end, also when the client is gone by then. nil removes the rule.
    public func slowRequests(method: String, pathSuffix: String, delay: Duration?) {
        state.withLock { s in
            s.slowRequests.removeAll { $0.method == method && $0.pathSuffix == pathSuffix }
            if let delay { s.slowRequests.append(.init(method: method, pathSuffix: pathSuffix, delay: delay)) }
        }
    }

    /// Every authenticated `/v1.0` request waits this long before it is answered (while counting as in flight).
    public func setLatency(_ latency: Duration) { state.withLock { $0.latency = latency } }

    /// The most requests seen in flight at once per mailbox object id, rejected ones included.
    public var peakConcurrencyPerMailbox: [String: Int] { state.withLock { $0.peakInFlight } }
}
