import Foundation
import Logging
import MailHookCore
import MailHookStore
import ServiceLifecycle
import Synchronization

/// Claims inbox rows with a lease and runs at most `concurrency` at once. A failed row is
/// retried with exponential backoff and jitter, and dead-lettered after `maxAttempts`; rows whose
/// lease expired (a crashed worker) are claimed again. On graceful shutdown it stops claiming and
/// lets the rows in flight finish.
public final class InboxDispatcher: Service, Sendable {
    let store: any InboxStore
    let processors: [InboxKind: any InboxProcessor]
    let concurrency: Int
    let maxAttempts: Int
    let leaseSeconds: Int
    let idlePoll: Duration
    /// How long rows in flight may take to finish after a graceful shutdown starts; then they are
    /// cancelled and their leases let another worker take them up.
    let shutdownGrace: Duration
    let owner: String
    let logger: Logger
    private let signal = WakeSignal()

    public init(store: any InboxStore, processors: [any InboxProcessor], concurrency: Int, maxAttempts: Int, leaseSeconds: Int,
                idlePoll: Duration = .seconds(1), shutdownGrace: Duration = .seconds(10), startAfter: ReadySignal? = nil, logger: Logger) {
        self.store = store
        self.startAfter = startAfter
        var map: [InboxKind: any InboxProcessor] = [:]
        for processor in processors { for kind in processor.kinds { map[kind] = processor } }
        self.processors = map
        self.concurrency = max(1, concurrency)
        self.maxAttempts = maxAttempts
        self.leaseSeconds = leaseSeconds
        self.idlePoll = idlePoll
        self.shutdownGrace = shutdownGrace
        // Host names can need a lookup; the pid and a random suffix identify the worker well enough.
        self.owner = "mailhook-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        self.logger = logger
    }

    /// Asks the dispatcher to look for work now (new rows were committed).
    public func wake() { signal.signal() }

    /// As ``wake()``, when rows of a kind it processes were committed: rows nobody here takes
    /// (Graph notifications while Graph is not configured) would cost an idle dispatcher a read per commit.
    public func wake(for kinds: Set<InboxKind>) {
        if processes(anyOf: kinds) { signal.signal() }
    }

    public func processes(anyOf kinds: Set<InboxKind>) -> Bool { kinds.contains { processors[$0] != nil } }

    /// Opens once the schema is in place: nothing is claimed before migrations ran.
    let startAfter: ReadySignal?

    public func run() async throws {
        if let startAfter {
            await cancelWhenGracefulShutdown { await startAfter.wait() }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        }
        let kinds = Array(processors.keys)
        await withDiscardingTaskGroup { group in
            let inFlight = InFlightCounter()
            // The last claim took all it asked for: more rows are probably due.
            var lastClaimFull = false
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = concurrency - inFlight.value
                var claimed: [InboxRow] = []
                if free > 0 {
                    do {
                        claimed = try await store.claimInbox(
                            kinds: kinds, limit: free, owner: owner, leaseSeconds: leaseSeconds, maxAttempts: maxAttempts, expectRows: lastClaimFull)
                        lastClaimFull = claimed.count == free
                        for dead in claimed where dead.status == .dead {
                            logger.error("inbox row dead-lettered at claim", metadata: [
                                "mailhook.inbox": "\(dead.id)", "mailhook.attempts": "\(dead.attempts)", "error": "\(dead.lastError ?? "")",
                            ])
                        }
                        claimed.removeAll { $0.status == .dead }
                    } catch {
                        lastClaimFull = false
                        logger.warning("could not claim inbox rows", metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
                for row in claimed {
                    inFlight.add(1)
                    group.addTask {
                        await self.handle(row)
                        inFlight.add(-1)
                        self.wake()
                    }
                }
                if claimed.isEmpty || claimed.count == free {
                    // Idle or full: wait for a wake-up (new rows, a finished row) or the poll interval.
                    await waitForWake(upTo: idlePoll)
                }
            }
            // Shutting down: let the rows in flight finish within the grace period, then cancel them.
            let deadline = ContinuousClock.now + shutdownGrace
            while inFlight.value > 0, ContinuousClock.now < deadline {
                await waitForWake(upTo: .milliseconds(100))
            }
            group.cancelAll()
        }
    }

    private func waitForWake(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { waiter in
            waiter.addTask { try? await CancellableSleep.sleep(for: limit) }
            waiter.addTask { [signal] in await signal.wait() }
            await waiter.next()
            waiter.cancelAll()
        }
    }

    func handle(_ row: InboxRow) async {
        guard let processor = processors[row.kind] else { return }
        let outcome: Result<ProcessingOutcome, any Error>
        do {
            outcome = .success(try await withLeaseHeld(row) { try await processor.process(row) })
        } catch {
            outcome = .failure(error)
        }
        // While the database is down, keep trying to record the outcome (within the lease), so
        // the row does not sit claimed until its lease runs out once the database is back.
        let giveUp = ContinuousClock.now + .seconds(leaseSeconds)
        var pause = Duration.seconds(1)
        while true {
            do {
                switch outcome {
                case .success(.finished(let status, let note)):
                    try await store.finishInbox(id: row.id, owner: owner, status: status, error: note)
                case .success(.recorded):
                    break
                case .failure(let error):
                    try await recordFailure(row, error)
                }
                return
            } catch where error.isStoreOutage && ContinuousClock.now + pause < giveUp && !Task.isCancelled {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            } catch {
                // The lease expires and another attempt claims the row.
                logger.error("could not record an inbox outcome", metadata: ["error": "\(String(reflecting: error))"])
                return
            }
        }
    }

    private func recordFailure(_ row: InboxRow, _ error: any Error) async throws {
        let message = String(describing: error).clipped(to: 2000)
        if error.isLostClaim {
            // Another worker holds the row now; it records the outcome.
            logger.notice("inbox row claim lost; this attempt stopped", metadata: ["mailhook.inbox": "\(row.id)"])
        } else if let wait = error.outageWait {
            // A dependency is down or throttling: the item did nothing wrong, so no attempt is spent.
            let delay = max(wait, Self.outageBackoff())
            logger.notice("inbox row waits for a dependency", metadata: [
                "mailhook.inbox": "\(row.id)", "mailhook.retry_in_s": .string(String(format: "%.0f", delay)), "error": "\(message)",
            ])
            try await store.deferInbox(id: row.id, owner: owner, reason: message, retryAt: Date().addingTimeInterval(delay))
        } else if row.attempts >= maxAttempts || error.isUnprocessable {
            logger.error("inbox row dead-lettered", metadata: ["mailhook.inbox": "\(row.id)", "mailhook.attempts": "\(row.attempts)", "error": "\(message)"])
            try await store.finishInbox(id: row.id, owner: owner, status: .dead, error: message)
        } else {
            let delay = Self.backoff(attempt: row.attempts)
            logger.warning("inbox row failed; will retry", metadata: [
                "mailhook.inbox": "\(row.id)", "mailhook.attempts": "\(row.attempts)", "mailhook.retry_in_s": .string(String(format: "%.0f", delay)), "error": "\(message)",
            ])
            try await store.retryInbox(id: row.id, owner: owner, error: message, retryAt: Date().addingTimeInterval(delay))
        }
    }

    /// Runs `work` while a heartbeat extends the row's lease every third of `leaseSeconds`, so a
    /// slow Graph or LLM call never lets another worker take the row. If the lease is lost
    /// anyway (the database was unreachable for a whole lease), the work is cancelled.
    func withLeaseHeld<T: Sendable>(_ row: InboxRow, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask { [store, owner, leaseSeconds, logger] in
                let beat = Duration.milliseconds(max(500, leaseSeconds * 1000 / 3))
                while true {
                    try await CancellableSleep.sleep(for: beat)
                    let held: Bool
                    do {
                        held = try await store.extendLease(id: row.id, owner: owner, attempt: row.attempts, leaseSeconds: leaseSeconds)
                    } catch {
                        // Not known to be lost: keep working, try again at the next beat.
                        logger.warning("could not extend an inbox lease", metadata: ["mailhook.inbox": "\(row.id)", "error": "\(error)"])
                        continue
                    }
                    if !held { throw LostClaim() }
                }
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw LostClaim()
        }
    }

    /// Seconds before a row whose dependency is down is tried again (with jitter, so rows spread out).
    static func outageBackoff() -> Double {
        Double.random(in: 10...30)
    }

    /// Seconds before attempt `attempt + 1`: 2^attempt with jitter, at most 15 minutes.
    static func backoff(attempt: Int) -> Double {
        let ceiling = min(900.0, pow(2.0, Double(min(attempt, 10))))
        return Double.random(in: ceiling / 2...ceiling)
    }
}

private final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func add(_ n: Int) { count.add(n, ordering: .relaxed) }
}
