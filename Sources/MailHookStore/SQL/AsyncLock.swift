import Synchronization

/// A FIFO lock for async code: serialises transactions on SQLite's single writer connection
/// without blocking a thread while waiting. Urgent waiters (the receive path's inserts, whose
/// senders wait for the commit) go before the others (the pipeline's bookkeeping), so a busy
/// pipeline never queues acknowledgements behind its own writes.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var urgent: [CheckedContinuation<Void, Never>] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func withLock<T: Sendable>(urgent: Bool = false, _ body: () async throws -> T) async throws -> T {
        await acquire(urgent: urgent)
        do {
            let value = try await body()
            release()
            return value
        } catch {
            release()
            throw error
        }
    }

    private func acquire(urgent: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if !s.locked {
                    s.locked = true
                    return true
                }
                if urgent { s.urgent.append(continuation) } else { s.waiters.append(continuation) }
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            // Ownership passes to the next waiter, urgent ones first.
            if !s.urgent.isEmpty { return s.urgent.removeFirst() }
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.locked = false
            return nil
        }
        next?.resume()
    }
}
