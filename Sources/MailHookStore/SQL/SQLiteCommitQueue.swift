import Logging
import NIOCore
import Synchronization

/// Group commit for every write on SQLite's single writer connection.
///
/// Writers queue their work (a statement or a transaction body); one drain task takes everything
/// queued, runs it inside a single `BEGIN IMMEDIATE … COMMIT` and only then answers each writer.
/// One fsync then covers many acknowledgements, claims and pipeline records, so the commit rate
/// no longer caps the write rate, and nothing is answered before it is durable.
///
/// Isolation is kept per job: should any job throw (or the commit fail) the whole transaction is
/// rolled back and each job runs again alone, so one bad write never fails or half-writes its
/// neighbours. Urgent jobs (receive-path inserts, whose senders wait for the commit) are taken first.
final class SQLiteCommitQueue: Sendable {
    private struct Job: Sendable {
        /// A single statement runs in autocommit mode when it is alone in a drain.
        let statement: SQLStatement?
        let body: @Sendable (any SQLExecutor) async throws -> any Sendable
        let finish: @Sendable (Result<any Sendable, any Error>) -> Void
    }

    private struct State {
        var urgent: [Job] = []
        var normal: [Job] = []
        /// Statements that must run outside any transaction (a checkpoint), each alone.
        var alone: [Job] = []
        var draining = false
    }

    private let connection: SQLiteWriterConnection
    /// The drain runs here, on the connection's loop: its statements run without a hop.
    private let writerActor: SQLiteWriterActor
    private let maxJobsPerCommit: Int
    private let state = Mutex(State())
    private let commits = Atomic<Int>(0)

    init(connection: SQLiteWriterConnection, maxJobsPerCommit: Int = 512) {
        self.connection = connection
        self.writerActor = SQLiteWriterActor(loop: connection.loop)
        self.maxJobsPerCommit = max(1, maxJobsPerCommit)
    }

    /// Transactions committed so far (jobs ÷ commits is the batching).
    var commitCount: Int { commits.load(ordering: .relaxed) }

    /// Jobs waiting for the next commit.
    var queuedCount: Int { state.withLock { $0.urgent.count + $0.normal.count + $0.alone.count } }

    func run(_ statement: SQLStatement, urgent: Bool) async throws -> [SQLRow] {
        try await submit(urgent: urgent, statement: statement) { try await $0.run(statement) }
    }

    /// Runs `statement` on the writer outside any transaction, between two commits.
    func runAlone(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await submit(urgent: false, alone: true, statement: statement) { try await $0.run(statement) }
    }

    func transaction<T: Sendable>(urgent: Bool, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await submit(urgent: urgent, statement: nil, body)
    }

    private func submit<T: Sendable>(
        urgent: Bool, alone: Bool = false, statement: SQLStatement?, _ body: @escaping @Sendable (any SQLExecutor) async throws -> T
    ) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            let job = Job(statement: statement, body: { try await body($0) }, finish: { continuation.resume(with: $0) })
            let startDrain = state.withLock { s -> Bool in
                if alone { s.alone.append(job) } else if urgent { s.urgent.append(job) } else { s.normal.append(job) }
                if s.draining { return false }
                s.draining = true
                return true
            }
            // The drain ends when the queue is empty; the next writer starts another.
            if startDrain { Task { await self.writerActor.drain(self) } }
        }
        guard let typed = value as? T else { throw StoreUnavailable("a queued write returned an unexpected value") }
        return typed
    }

    /// Commits until the queue is empty; runs on ``SQLiteWriterActor``.
    func drain() async {
        while let batch = next() {
            await commit(batch)
        }
    }

    /// Everything queued (urgent first, up to the cap), or nil (and draining ends) when empty.
    private func next() -> [Job]? {
        state.withLock { s -> [Job]? in
            if !s.alone.isEmpty { return [s.alone.removeFirst()] }
            if s.urgent.isEmpty && s.normal.isEmpty {
                s.draining = false
                return nil
            }
            let fromUrgent = min(s.urgent.count, maxJobsPerCommit)
            var batch = Array(s.urgent.prefix(fromUrgent))
            s.urgent.removeFirst(fromUrgent)
            let fromNormal = min(s.normal.count, maxJobsPerCommit - fromUrgent)
            batch += s.normal.prefix(fromNormal)
            s.normal.removeFirst(fromNormal)
            return batch
        }
    }

    private func commit(_ batch: [Job]) async {
        if batch.count == 1 {
            await runAlone(batch[0])
            return
        }
        var results: [any Sendable] = []
        results.reserveCapacity(batch.count)
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.finish(.failure(error)) }
            return
        }
        do {
            let executor = Executor(connection: connection)
            for job in batch { results.append(try await job.body(executor)) }
            try execute("COMMIT")
            commits.add(1, ordering: .relaxed)
        } catch {
            try? execute("ROLLBACK")
            // Nothing of this batch is stored: each job runs again in its own transaction.
            for job in batch { await runAlone(job) }
            return
        }
        for (job, result) in zip(batch, results) { job.finish(.success(result)) }
    }

    private func runAlone(_ job: Job) async {
        let executor = Executor(connection: connection)
        if let statement = job.statement {
            // One statement is its own transaction: a single round trip to the database thread.
            do {
                let rows = try await executor.run(statement)
                commits.add(1, ordering: .relaxed)
                job.finish(.success(rows))
            } catch {
                job.finish(.failure(error))
            }
            return
        }
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            job.finish(.failure(error))
            return
        }
        do {
            let value = try await job.body(executor)
            try execute("COMMIT")
            commits.add(1, ordering: .relaxed)
            job.finish(.success(value))
        } catch {
            try? execute("ROLLBACK")
            job.finish(.failure(error))
        }
    }

    private func execute(_ statement: SQLStatement) throws {
        _ = try connection.execute(statement)
    }

    struct Executor: SQLExecutor {
        let connection: SQLiteWriterConnection
        /// Transaction bodies run on the writer's loop (``SQLiteWriterActor``), where the
        /// connection answers at once. A body that was moved elsewhere (a closure not inferred
        /// `nonisolated(nonsending)`) still works, a hop per statement slower; debug builds trap.
        func run(_ statement: SQLStatement) async throws -> [SQLRow] {
            if connection.loop.inEventLoop { return try connection.execute(statement) }
            assertionFailure("a transaction body ran off the SQLite writer's loop")
            return try await connection.run(statement)
        }
    }
}
