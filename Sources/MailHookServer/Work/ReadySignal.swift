import Synchronization

/// Opens once: lets services that need the listener (Graph validates the notification URL while
/// a create call is in flight) wait until the server accepts connections.
public final class ReadySignal: Sendable {
    private struct State {
        var ready = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextId: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.ready = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once open, or when the task is cancelled.
    public func wait() async {
        let id = state.withLock { s -> UInt64 in
            s.nextId += 1
            return s.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.ready || Task.isCancelled { return true }
                    s.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
