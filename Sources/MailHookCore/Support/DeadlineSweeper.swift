import Dispatch
import Synchronization

/// Deadlines that almost never pass (a request body's, a database statement's, a wait for a pooled
/// connection), checked by one repeating timer instead of a timer each.
///
/// A timer per operation, scheduled on an event loop from the task pool and cancelled when the
/// operation ended, cost a lock, a heap insert and a thread wake-up twice per operation (about 8 %
/// of the task pool's samples under receive-path load). Registering here is a dictionary insert
/// under an uncontended lock. A deadline fires up to one interval late.
public final class DeadlineSweeper: Sendable {
    /// The process's sweeper, checked every 100 ms.
    public static let shared = DeadlineSweeper(every: .milliseconds(100))

    private struct Entry {
        let deadline: ContinuousClock.Instant
        let fire: @Sendable () -> Void
    }

    private struct State {
        var lastId = 0
        var entries: [Int: Entry] = [:]
    }

    private let state = Mutex(State())
    private let timer: DispatchTimer

    public init(every interval: Duration) {
        timer = DispatchTimer(source: DispatchSource.makeTimerSource(queue: .global()))
        let nanoseconds = Int(clamping: interval.clampedNanoseconds)
        timer.source.setEventHandler { [weak self] in self?.sweep(now: .now) }
        timer.source.schedule(deadline: .now() + .nanoseconds(nanoseconds), repeating: .nanoseconds(nanoseconds))
        timer.source.activate()
    }

    deinit {
        timer.source.cancel()
    }

    /// Entries waiting for their deadline.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Calls `fire` once, after `deadline`, unless ``remove(_:)`` comes first.
    public func add(deadline: ContinuousClock.Instant, fire: @escaping @Sendable () -> Void) -> Int {
        state.withLock { s in
            s.lastId &+= 1
            s.entries[s.lastId] = Entry(deadline: deadline, fire: fire)
            return s.lastId
        }
    }

    /// As ``add(deadline:fire:)``, `duration` from now.
    public func add(after duration: Duration, fire: @escaping @Sendable () -> Void) -> Int {
        add(deadline: .now + duration, fire: fire)
    }

    public func remove(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Fires every entry whose deadline is at or before `now`, outside the lock, and forgets it.
    public func sweep(now: ContinuousClock.Instant) {
        let due = state.withLock { s -> [Entry] in
            let due = s.entries.filter { $0.value.deadline <= now }
            for id in due.keys { s.entries.removeValue(forKey: id) }
            return Array(due.values)
        }
        for entry in due { entry.fire() }
    }
}
