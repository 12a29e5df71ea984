import Dispatch
import Synchronization

/// A sleep whose timer is gone the moment it is cancelled. A cancelled `Task.sleep` resumes at
/// once but leaves its wake-up job (a task) queued until the deadline: timeouts that almost never
/// fire, started per request, per email or per outbound call, kept thousands of such jobs (and
/// tens of megabytes) alive under load.
public enum CancellableSleep {
    /// Starts a timer that calls `fire` after the duration and returns what cancels it.
    public typealias Scheduler = @Sendable (Duration, _ fire: @escaping @Sendable () -> Void) -> @Sendable () -> Void

    /// A libdispatch timer source; cancelling it removes it.
    public static let dispatch: Scheduler = { duration, fire in
        let timer = DispatchTimer(source: DispatchSource.makeTimerSource(queue: .global()))
        timer.source.setEventHandler(handler: fire)
        timer.source.schedule(deadline: .now() + .nanoseconds(Int(clamping: duration.clampedNanoseconds)))
        timer.source.activate()
        return { timer.source.cancel() }
    }

    public static func sleep(for duration: Duration, on scheduler: Scheduler = dispatch) async throws {
        let sleeper = Sleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleeper.start(continuation, cancel: scheduler(duration) { sleeper.finish(nil) })
            }
        } onCancel: {
            sleeper.finish(CancellationError())
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to 0...Int64.max instead of trapping.
    public var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (total, carry) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return carry ? .max : total
    }
}

/// One sleep: whichever of the deadline and cancellation comes first resumes the sleeper, and
/// cancellation also removes the timer. Either may come before the continuation is stored.
private final class Sleeper: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var cancelTimer: (@Sendable () -> Void)?
        /// Set by the first of the deadline (`nil` error) and cancellation.
        var outcome: (any Error)??
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Void, any Error>, cancel: @escaping @Sendable () -> Void) {
        let early = state.withLock { s -> (any Error)?? in
            if let outcome = s.outcome { return outcome }
            s.continuation = continuation
            s.cancelTimer = cancel
            return nil
        }
        guard let early else { return }
        cancel()
        if let error = early { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    func finish(_ error: (any Error)?) {
        let (continuation, cancelTimer) = state.withLock { s -> (CheckedContinuation<Void, any Error>?, (@Sendable () -> Void)?) in
            guard s.outcome == nil else { return (nil, nil) }
            s.outcome = .some(error)
            defer {
                s.continuation = nil
                s.cancelTimer = nil
            }
            return (s.continuation, s.cancelTimer)
        }
        if error != nil { cancelTimer?() }
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}

/// Unchecked: libdispatch objects are thread-safe (`dispatch_source_cancel` may be called from
/// any thread, at any time, any number of times), and the reference is never reassigned.
struct DispatchTimer: @unchecked Sendable {
    let source: any DispatchSourceTimer
}
