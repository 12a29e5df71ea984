import MailHookCore
import Synchronization
import Testing

@Suite("Cancellable sleep")
struct CancellableSleepTests {
    /// A scheduler that never fires by itself and counts the timers it was asked to cancel.
    final class Recorder: Sendable {
        let started = Mutex(0)
        let cancelled = Mutex(0)
        let fires = Mutex<[@Sendable () -> Void]>([])

        var scheduler: CancellableSleep.Scheduler {
            { [self] _, fire in
                started.withLock { $0 += 1 }
                fires.withLock { $0.append(fire) }
                return { self.cancelled.withLock { $0 += 1 } }
            }
        }
    }

    @Test("cancelling a sleep removes its timer and throws CancellationError at once")
    func cancelRemovesTimer() async throws {
        let recorder = Recorder()
        let sleeper = Task { try await CancellableSleep.sleep(for: .seconds(3600), on: recorder.scheduler) }
        while recorder.started.withLock({ $0 }) == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(recorder.cancelled.withLock { $0 } == 1)
    }

    @Test("a sleep ends when its timer fires, without cancelling it")
    func firesWithoutCancel() async throws {
        let recorder = Recorder()
        let sleeper = Task { try await CancellableSleep.sleep(for: .seconds(3600), on: recorder.scheduler) }
        while recorder.fires.withLock({ $0.isEmpty }) { await Task.yield() }
        for fire in recorder.fires.withLock({ $0 }) { fire() }
        try await sleeper.value
        #expect(recorder.cancelled.withLock { $0 } == 0)
    }

    @Test("a sleep in an already cancelled task throws and leaves no timer")
    func alreadyCancelled() async throws {
        let recorder = Recorder()
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await CancellableSleep.sleep(for: .seconds(3600), on: recorder.scheduler)
        }
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(recorder.started.withLock { $0 } == recorder.cancelled.withLock { $0 })
    }

    @Test("the dispatch timer wakes the sleeper after the duration")
    func dispatchTimerFires() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        try await CancellableSleep.sleep(for: .milliseconds(20))
        #expect(clock.now - start >= .milliseconds(20))
    }

    @Test("a time limit that is not reached removes its timer")
    func timeLimitCancelsTimer() async throws {
        let recorder = Recorder()
        let value = try await withTimeLimit(.seconds(3600), on: recorder.scheduler) { 42 }
        #expect(value == 42)
        #expect(recorder.started.withLock { $0 } == 1)
        #expect(recorder.cancelled.withLock { $0 } == 1)
    }

    @Test("durations become nanoseconds without trapping", arguments: [
        (Duration.milliseconds(1500), Int64(1_500_000_000)), (.seconds(-3), 0), (.seconds(Int64.max), .max), (.nanoseconds(7), 7),
    ])
    func clampedNanoseconds(duration: Duration, expected: Int64) {
        #expect(duration.clampedNanoseconds == expected)
    }
}
