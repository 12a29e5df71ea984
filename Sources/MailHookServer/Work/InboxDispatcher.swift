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
                idlePoll: Duration = .seconds(1), shutdownGrace: Duration = .seconds(10), logger: Logger) {
        self.store = store
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

    public func run() async throws {
        let kinds = Array(processors.keys)
        await withDiscardingTaskGroup { group in
            let inFlight = InFlightCounter()
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = concurrency - inFlight.value
                var claimed: [InboxRow] = []
                if free > 0 {
                    do {
                        claimed = try await store.claimInbox(kinds: kinds, limit: free, owner: owner, leaseSeconds: leaseSeconds, maxAttempts: maxAttempts)
                        for dead in claimed where dead.status == .dead {
                            logger.error("inbox row dead-lettered at claim", metadata: [
                                "mailhook.inbox": "\(dead.id)", "mailhook.attempts": "\(dead.attempts)", "error": "\(dead.lastError ?? "")",
                            ])
                        }
                        claimed.removeAll { $0.status == .dead }
                    } catch {
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
            waiter.addTask { try? await Task.sleep(for: limit) }
            waiter.addTask { [signal] in await signal.wait() }
            await waiter.next()
            waiter.cancelAll()
        }
    }

    func handle(_ row: InboxRow) async {
        guard let processor = processors[row.kind] else { return }
        do {
            switch try await processor.process(row) {
            case .finished(let status, let note):
                try await store.finishInbox(id: row.id, owner: owner, status: status, error: note)
            }
        } catch {
            let message = String(describing: error).prefix(2000)
            do {
                if row.attempts >= maxAttempts || error.isUnprocessable {
                    logger.error("inbox row dead-lettered", metadata: ["mailhook.inbox": "\(row.id)", "mailhook.attempts": "\(row.attempts)", "error": "\(message)"])
                    try await store.finishInbox(id: row.id, owner: owner, status: .dead, error: String(message))
                } else {
                    let delay = Self.backoff(attempt: row.attempts)
                    logger.warning("inbox row failed; will retry", metadata: [
                        "mailhook.inbox": "\(row.id)", "mailhook.attempts": "\(row.attempts)", "mailhook.retry_in_s": "\(Int(delay))", "error": "\(message)",
                    ])
                    try await store.retryInbox(id: row.id, owner: owner, error: String(message), retryAt: Date().addingTimeInterval(delay))
                }
            } catch {
                // The lease expires and another attempt claims the row.
                logger.error("could not record an inbox failure", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
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
