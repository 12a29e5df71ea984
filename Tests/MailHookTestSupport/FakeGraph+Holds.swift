import Foundation
import Synchronization

extension FakeGraph {
    // MARK: - Holding writes (the crash window)

    /// From now on, a request that makes an action of one of these kinds (``Action/kind``: "reply",
    /// "createReply", "update", "createChat", "chatMessage", "workflowPost", …) is carried out and recorded
    /// (it is in ``actions``, a reply is in sentitems) but not answered until ``releaseHeldActions()``
    /// or shutdown: the window in which a client can die after Graph did the write and before it learnt so.
    /// Replaces the kinds given before.
    ///
    /// A client that dies meanwhile is not noticed (the server does not read a connection while it owes an
    /// answer); its request stays held until released and is then answered into the closed connection.
    public func holdActions(_ kinds: Set<String>) { state.withLock { $0.holdKinds = kinds } }

    /// Answers every held request and stops holding.
    public func releaseHeldActions() {
        let waiting = state.withLock { s in
            s.holdKinds = []
            s.pendingHolds = []
            defer { s.held = [:] }
            return Array(s.held.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many requests are held unanswered right now.
    public var heldActionCount: Int { state.withLock { $0.held.count } }

    /// Waits until `count` actions of `kind` have been recorded (and, when that kind is held, the request
    /// is held), then returns the `count`-th. Polls every 10 ms; throws after `timeout`.
    @discardableResult
    public func waitForAction(_ kind: String, count: Int = 1, timeout: Duration = .seconds(10)) async throws -> FakeGraph.Action {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let (found, seen) = state.withLock { s -> (Action?, Int) in
                let matching = s.actions.filter { $0.kind == kind }
                guard matching.count >= max(1, count) else { return (nil, matching.count) }
                let action = matching[max(1, count) - 1]
                return (s.pendingHolds.contains(action.sequence) ? nil : action, matching.count)
            }
            if let found { return found }
            guard clock.now < deadline else {
                throw FakeGraphError("waited \(timeout) for \(count) '\(kind)' action(s), saw \(seen)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Keeps the answer to call `sequence` back while its action is held.
    func holdIfNeeded(_ sequence: Int) async {
        guard state.withLock({ $0.pendingHolds.contains(sequence) }) else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let holding = state.withLock { s in
                    guard s.pendingHolds.remove(sequence) != nil, !s.holdsEnded, !Task.isCancelled else { return false }
                    s.held[sequence] = continuation
                    return true
                }
                if !holding { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.held.removeValue(forKey: sequence) }?.resume()
        }
    }

    /// Answers everything held and holds nothing more: graceful shutdown waits for in-flight requests.
    func endHolds() {
        state.withLock { $0.holdsEnded = true }
        releaseHeldActions()
    }
}
