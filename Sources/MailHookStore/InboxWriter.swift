import Logging
import MailHookCore
import ServiceLifecycle
import Synchronization

/// Group commit for the receive path. Concurrent requests hand their items to ``submit(_:)``;
/// flushers take everything queued so far and write it in one transaction, then answer each
/// request. A request is acknowledged only after the transaction holding its rows committed.
///
/// Run it as a `Service` placed before the HTTP server in the group: on graceful shutdown the
/// server stops first, then the writer flushes what is queued and returns.
public final class InboxWriter: Service, Sendable {
    private struct Pending {
        let items: [NewInboxItem]
        let continuation: CheckedContinuation<[InsertOutcome], any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let store: any InboxStore
    private let flushers: Int
    private let maxRowsPerBatch: Int
    private let logger: Logger
    private let state = Mutex(State())
    /// Called after a transaction that inserted at least one new row has committed.
    private let committed: @Sendable (Set<InboxKind>) -> Void

    /// - Parameters:
    ///   - flushers: transactions in flight at once (1 for SQLite's single writer; a few for PostgreSQL).
    ///   - maxRowsPerBatch: rows one transaction takes at most.
    ///   - committed: told the kinds of new rows once they are durable (the dispatcher's wake-up).
    public init(
        store: any InboxStore, flushers: Int, maxRowsPerBatch: Int = 1000, logger: Logger, committed: @escaping @Sendable (Set<InboxKind>) -> Void = { _ in }
    ) {
        self.store = store
        self.committed = committed
        self.flushers = max(1, flushers)
        self.maxRowsPerBatch = maxRowsPerBatch
        self.logger = logger
    }

    /// Stores the items durably (all or none) and reports each one's outcome.
    public func submit(_ items: [NewInboxItem]) async throws -> [InsertOutcome] {
        if items.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            enum Decision { case queued(CheckedContinuation<Void, Never>?), closed }
            let decision = state.withLock { s -> Decision in
                if s.closed { return .closed }
                s.queue.append(Pending(items: items, continuation: continuation))
                return .queued(s.waiters.popLast())
            }
            switch decision {
            case .closed: continuation.resume(throwing: StoreUnavailable("the server is shutting down"))
            case .queued(let waiter): waiter?.resume()
            }
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withDiscardingTaskGroup { group in
                    for _ in 0..<flushers {
                        group.addTask { await self.flushLoop() }
                    }
                }
            } onCancel: {
                self.close()
            }
        } onGracefulShutdown: {
            self.close()
        }
    }

    /// Stops accepting work; queued work is still flushed.
    public func close() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Tells `committed` the kinds of the rows that are new (not duplicates), if any.
    private func announce(_ groups: [([NewInboxItem], [InsertOutcome])]) {
        var kinds = Set<InboxKind>()
        for (items, outcomes) in groups {
            for (item, outcome) in zip(items, outcomes) where outcome != .duplicate { kinds.insert(item.kind) }
        }
        if !kinds.isEmpty { committed(kinds) }
    }

    private func flushLoop() async {
        while let batch = await nextBatch() {
            do {
                let outcomes = try await store.insertInboxBatch(batch.map(\.items))
                announce(zip(batch, outcomes).map { ($0.items, $1) })
                for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(returning: outcome) }
            } catch {
                if batch.count == 1 || error.isStoreOutage {
                    // The database is down or full: every request fails alike, at once (a 503 now,
                    // not after one more wait per request).
                    for pending in batch { pending.continuation.resume(throwing: error) }
                    continue
                }
                // One bad group must not fail its neighbours: retry each alone.
                logger.warning("inbox batch failed; retrying its requests one by one", metadata: ["error": "\(String(reflecting: error))", "requests": "\(batch.count)"])
                for pending in batch {
                    do {
                        let outcome = try await store.insertInboxBatch([pending.items])
                        announce([(pending.items, outcome.first ?? [])])
                        pending.continuation.resume(returning: outcome.first ?? [])
                    } catch {
                        pending.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// Everything queued (up to the row cap), or nil once closed and drained.
    private func nextBatch() async -> [Pending]? {
        while true {
            enum Step { case batch([Pending]), finished, wait }
            let step = state.withLock { s -> Step in
                if !s.queue.isEmpty {
                    var rows = 0
                    var take = 0
                    while take < s.queue.count, take == 0 || rows + s.queue[take].items.count <= maxRowsPerBatch {
                        rows += s.queue[take].items.count
                        take += 1
                    }
                    let batch = Array(s.queue.prefix(take))
                    s.queue.removeFirst(take)
                    return .batch(batch)
                }
                return s.closed ? .finished : .wait
            }
            switch step {
            case .batch(let batch): return batch
            case .finished: return nil
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { s -> Bool in
                        if !s.queue.isEmpty || s.closed { return true }
                        s.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }
}
