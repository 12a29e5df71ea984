import Logging
import MailHookCore
import NIOCore
import PostgresNIO
import Synchronization

extension PostgresDatabase {
    /// Runs `body` on a pooled connection, giving up with ``StoreUnavailable`` when none is
    /// handed out within ``connectionWait``. Only the wait is bounded: a statement that is
    /// running is never cut off. A request that gave up is not cancelled in the pool (a
    /// cancellation racing the hand-over could cut a transaction short); it stays queued and,
    /// when it gets a connection, hands it straight back without running `body`.
    func leased<T: Sendable>(
        _ pool: PostgresClient? = nil, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        await running.wait()
        let (client, logger, wait) = (pool ?? client, logger, connectionWait)
        let lease = Lease<T>()
        return try await withCheckedThrowingContinuation { continuation in
            lease.start(continuation)
            // Not a sleeping task: a cancelled `Task.sleep` stays allocated until its deadline,
            // which under load kept megabytes of finished waits.
            let timer = DeadlineSweeper.shared.add(after: wait) {
                lease.giveUp(StoreUnavailable("no PostgreSQL connection within \(wait)"))
            }
            Task {
                do {
                    let value = try await client.withConnection { connection in
                        guard lease.enter() else { throw CancellationError() }
                        return try await body(connection, logger)
                    }
                    DeadlineSweeper.shared.remove(timer)
                    lease.finish(.success(value))
                } catch {
                    DeadlineSweeper.shared.remove(timer)
                    lease.finish(.failure(error))
                }
            }
        }
    }

    /// One wait for a connection: answered once, by the work or by giving up, whichever is first
    /// while no connection was handed out.
    final class Lease<T: Sendable>: Sendable {
        enum Phase {
            case waiting(CheckedContinuation<T, any Error>?)
            case entered(CheckedContinuation<T, any Error>?)
            case done
        }

        private let phase = Mutex<Phase>(.waiting(nil))

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            phase.withLock { $0 = .waiting(continuation) }
        }

        /// The work got a connection: true unless the wait was given up already.
        func enter() -> Bool {
            phase.withLock { p in
                guard case .waiting(let continuation) = p else { return false }
                p = .entered(continuation)
                return true
            }
        }

        /// Gives up the wait, unless the work already holds a connection.
        func giveUp(_ error: any Error) {
            let continuation = phase.withLock { p -> CheckedContinuation<T, any Error>? in
                guard case .waiting(let continuation) = p else { return nil }
                p = .done
                return continuation
            }
            continuation?.resume(throwing: error)
        }

        func finish(_ result: Result<T, any Error>) {
            let continuation = phase.withLock { p -> CheckedContinuation<T, any Error>? in
                switch p {
                case .waiting(let continuation), .entered(let continuation):
                    p = .done
                    return continuation
                case .done:
                    return nil
                }
            }
            continuation?.resume(with: result)
        }
    }

    /// Runs one statement. When no answer comes within `timeout` it fails with
    /// ``StoreUnavailable`` and its connection is closed: a connection the server dropped
    /// mid-statement was seen to leave the statement waiting forever, even after `close()`, so
    /// the wait is abandoned rather than awaited.
    static func run(
        _ statement: SQLStatement, on connection: PostgresConnection, timeout: Duration, prepared: PostgresPreparedStatements?, logger: Logger
    ) async throws -> [SQLRow] {
        let text = statement.sql(.postgres)
        let name = prepared?.name(for: statement, text: text)
        let answer = FirstAnswer<[SQLRow]>()
        return try await withCheckedThrowingContinuation { continuation in
            answer.start(continuation)
            let timer = DeadlineSweeper.shared.add(after: timeout) {
                if answer.resolveAfterClosing(connection, .failure(StoreUnavailable("a PostgreSQL statement got no answer within \(timeout)"))) {
                    logger.warning("a PostgreSQL statement got no answer in time; closing its connection", metadata: ["mailhook.timeout": "\(timeout)"])
                }
            }
            Task {
                do {
                    let result: [SQLRow]
                    if let name {
                        result = try await NamedStatement.$current.withValue(.init(name: name, sql: text)) {
                            try await rows(try await connection.execute(NamedStatement(bindings: bindings(statement)), logger: logger))
                        }
                    } else {
                        result = try await rows(try await connection.query(PostgresQuery(unsafeSQL: text, binds: bindings(statement)), logger: logger))
                    }
                    DeadlineSweeper.shared.remove(timer)
                    answer.resolve(.success(result))
                } catch {
                    DeadlineSweeper.shared.remove(timer)
                    if name != nil, PostgresPreparedStatements.mayBePreparationError(error) {
                        logger.warning("a prepared PostgreSQL statement failed; replacing its connection", metadata: ["mailhook.statement": "\(name ?? "")"])
                        answer.resolveAfterClosing(connection, .failure(error))
                    } else {
                        answer.resolve(.failure(error))
                    }
                }
            }
        }
    }

    /// A continuation resumed by whichever answer comes first.
    final class FirstAnswer<T: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func start(_ continuation: CheckedContinuation<T, any Error>) {
            self.continuation.withLock { $0 = continuation }
        }

        /// True for the answer that resumed the caller.
        @discardableResult
        func resolve(_ result: Result<T, any Error>) -> Bool {
            guard let waiting = take() else { return false }
            waiting.resume(with: result)
            return true
        }

        /// Answers once `connection` is closed, so the pool hears of the close before the caller's
        /// next statement asks for a connection; a close that does not finish is waited on 2 s at
        /// most. True when this answer is the one the caller gets.
        @discardableResult
        func resolveAfterClosing(_ connection: PostgresConnection, _ result: Result<T, any Error>) -> Bool {
            guard let waiting = take() else { return false }
            let closed = FirstAnswer<T>()
            closed.start(waiting)
            connection.close().whenComplete { _ in closed.resolve(result) }
            _ = DeadlineSweeper.shared.add(after: .seconds(2)) { closed.resolve(result) }
            return true
        }

        private func take() -> CheckedContinuation<T, any Error>? {
            continuation.withLock { c in
                defer { c = nil }
                return c
            }
        }
    }
}
