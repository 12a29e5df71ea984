import NIOCore
import NIOPosix
import Synchronization

/// Request-body deadlines, checked by one repeating timer instead of a timer per request.
///
/// A timer per request, scheduled on the connection's event loop from the task pool and cancelled
/// when the body arrived, cost a lock, a heap insert and an event-loop wake-up twice per request
/// (about 8 % of the task pool's samples under receive-path load). Registering here is a dictionary
/// insert under an uncontended lock. A deadline fires up to one interval late.
final class DeadlineSweeper: Sendable {
    private struct Entry {
        let deadline: NIODeadline
        let fire: @Sendable () -> Void
    }

    private struct State {
        var lastId = 0
        var entries: [Int: Entry] = [:]
    }

    private let state = Mutex(State())
    private let timer = Mutex<RepeatedTask?>(nil)

    init(every interval: TimeAmount, on loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()) {
        let task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] task in
            guard let self else {
                task.cancel()
                return
            }
            self.sweep(now: .now())
        }
        timer.withLock { $0 = task }
    }

    deinit {
        timer.withLock { $0?.cancel() }
    }

    /// Entries waiting for their deadline.
    var count: Int { state.withLock { $0.entries.count } }

    /// Calls `fire` once, after `deadline`, unless ``remove(_:)`` comes first.
    func add(deadline: NIODeadline, fire: @escaping @Sendable () -> Void) -> Int {
        state.withLock { s in
            s.lastId &+= 1
            s.entries[s.lastId] = Entry(deadline: deadline, fire: fire)
            return s.lastId
        }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    /// Fires every entry whose deadline is at or before `now`, outside the lock, and forgets it.
    func sweep(now: NIODeadline) {
        let due = state.withLock { s -> [Entry] in
            let due = s.entries.filter { $0.value.deadline <= now }
            for id in due.keys { s.entries.removeValue(forKey: id) }
            return Array(due.values)
        }
        for entry in due { entry.fire() }
    }
}
