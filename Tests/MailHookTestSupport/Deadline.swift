import Synchronization

/// Runs `body` and returns its result, or throws naming `what` once `limit` has passed. At the deadline
/// `body` is cancelled and left behind: a wait that ignores cancellation (a server that never finishes
/// shutting down, a process that never exits) becomes one failed test instead of a suite that never ends.
public func withDeadline<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let first = FirstOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            first.install(continuation)
            let work = Task {
                do { first.finish(.success(try await body())) } catch { first.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: limit)
                if Task.isCancelled { return }
                work.cancel()
                first.finish(.failure(TestSupportError("\(what) did not finish within \(limit)")))
            }
            first.onFinish { work.cancel(); timer.cancel() }
        }
    } onCancel: {
        first.finish(.failure(CancellationError()))
    }
}

/// Resumes one continuation with whichever outcome comes first; later ones are dropped.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var cleanup: (@Sendable () -> Void)?
        var done = false
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if let early = s.early { s.early = nil; return early }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.done { return true }
            s.cleanup = cleanup
            return false
        }
        if runNow { cleanup() }
    }

    func finish(_ outcome: Result<T, any Error>) {
        let (continuation, cleanup) = state.withLock { s -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            if s.done { return (nil, nil) }
            s.done = true
            defer { s.continuation = nil; s.cleanup = nil }
            if s.continuation == nil { s.early = outcome }
            return (s.continuation, s.cleanup)
        }
        continuation?.resume(with: outcome)
        cleanup?()
    }
}
