import NIOCore
import Synchronization

/// A sleep on an event loop's timer that is removed the moment it is cancelled. The receive path
/// races every body read against a deadline; a cancelled `Task.sleep` keeps its timer (and the
/// task's memory) until the deadline passes, which at thousands of requests per second grew the
/// heap by megabytes a second.
enum EventLoopSleep {
    static func sleep(for duration: Duration, on eventLoop: any EventLoop) async throws {
        let state = SleepState()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let nanoseconds = Int64(duration / .nanoseconds(1))
                let scheduled = eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { state.finish(nil) }
                state.start(continuation, scheduled)
            }
        } onCancel: {
            state.finish(CancellationError())
        }
    }
}

private final class SleepState: Sendable {
    private struct Inner {
        var continuation: CheckedContinuation<Void, any Error>?
        var scheduled: Scheduled<Void>?
        /// Set when cancellation (or the timer) came first; the continuation is resumed on arrival.
        var outcome: (any Error)??
    }

    private let inner = Mutex(Inner())

    func start(_ continuation: CheckedContinuation<Void, any Error>, _ scheduled: Scheduled<Void>) {
        let early = inner.withLock { s -> (any Error)?? in
            if let outcome = s.outcome { return outcome }
            s.continuation = continuation
            s.scheduled = scheduled
            return nil
        }
        if let early {
            scheduled.cancel()
            if let error = early { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }

    func finish(_ error: (any Error)?) {
        let (continuation, scheduled) = inner.withLock { s -> (CheckedContinuation<Void, any Error>?, Scheduled<Void>?) in
            guard s.outcome == nil else { return (nil, nil) }
            s.outcome = .some(error)
            defer {
                s.continuation = nil
                s.scheduled = nil
            }
            return (s.continuation, s.scheduled)
        }
        if error != nil { scheduled?.cancel() }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}
