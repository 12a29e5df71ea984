import MailHookCore
import Synchronization
import Testing

/// Deadlines checked by one repeating timer: what is due fires, once; a removed entry never fires.
@Suite("Deadline sweeper")
struct DeadlineSweeperTests {
    final class Fired: Sendable {
        let names = Mutex<[String]>([])
        func add(_ name: String) -> @Sendable () -> Void { { self.names.withLock { $0.append(name) } } }
    }

    @Test("an entry fires once its deadline passed, once; one not due yet waits; a removed one never fires")
    func sweep() {
        // A timer that never comes round in the test: the sweeps below are the test's own.
        let sweeper = DeadlineSweeper(every: .seconds(3600))
        let fired = Fired()
        let start = ContinuousClock.now
        _ = sweeper.add(deadline: start + .seconds(1), fire: fired.add("a"))
        _ = sweeper.add(deadline: start + .seconds(5), fire: fired.add("b"))
        let removed = sweeper.add(deadline: start + .seconds(1), fire: fired.add("c"))
        sweeper.remove(removed)
        #expect(sweeper.count == 2)

        sweeper.sweep(now: start + .milliseconds(999))
        #expect(fired.names.withLock { $0 }.isEmpty)
        sweeper.sweep(now: start + .seconds(1))
        #expect(fired.names.withLock { $0 } == ["a"])
        sweeper.sweep(now: start + .seconds(2))
        #expect(fired.names.withLock { $0 } == ["a"])
        #expect(sweeper.count == 1)
        sweeper.sweep(now: start + .seconds(6))
        #expect(fired.names.withLock { $0 } == ["a", "b"])
        #expect(sweeper.count == 0)
    }

    @Test("its own timer fires a due entry")
    func timer() async throws {
        let sweeper = DeadlineSweeper(every: .milliseconds(10))
        let fired = Fired()
        _ = sweeper.add(after: .milliseconds(20), fire: fired.add("a"))
        let clock = ContinuousClock()
        let until = clock.now + .seconds(5)
        while fired.names.withLock({ $0.isEmpty }), clock.now < until { try await Task.sleep(for: .milliseconds(5)) }
        #expect(fired.names.withLock { $0 } == ["a"])
    }
}
