import Logging
import NIOPosix
import SQLiteNIO
import ServiceLifecycle
import Synchronization

extension SQLiteDatabase {
    /// What one checkpoint found (`PRAGMA wal_checkpoint`): WAL frames, and how many are in the database file.
    struct Checkpoint: Sendable, Equatable {
        var busy: Bool
        var walFrames: Int
        var checkpointedFrames: Int
    }

    /// Moves the WAL into the database file every `interval` until cancelled or shut down,
    /// mostly on a connection and thread of its own; meanwhile commits never checkpoint
    /// themselves. With SQLite's default (a checkpoint by the commit that crosses 1,000 pages)
    /// the commit that crosses it waits while megabytes are copied and synced.
    /// `restartAbove`: log frames (pages) beyond which the writer finishes a checkpoint so the log
    /// starts over; below it a quiet moment lets the log start over by itself.
    func runCheckpoints(every interval: Duration, restartAbove: Int = 1024, logger: Logger) async throws {
        guard path != ":memory:" else {
            try? await gracefulShutdown()
            return
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let connection: SQLiteConnection
        do {
            connection = try await openCheckpointer(on: pool, logger: logger)
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do {
                // The bulk of the copying, beside the writer.
                let result = try await Self.checkpoint(connection)
                checkpoints.add(1, ordering: .relaxed)
                if let result, result.busy {
                    logger.debug("WAL checkpoint could not finish; the next one goes on", metadata: ["mailhook.wal_frames": "\(result.walFrames)"])
                } else if let result, result.walFrames > restartAbove {
                    // Under steady load the writer appends while that runs, so the log never empties
                    // and would grow without bound. The writer copies the few frames left between
                    // two commits; the next commit then starts the log over from its beginning.
                    _ = try await commits.runAlone("PRAGMA wal_checkpoint(PASSIVE)")
                }
            } catch {
                if !Task.isCancelled { logger.warning("WAL checkpoint failed", metadata: ["error": "\(String(reflecting: error))"]) }
            }
        }
        // Commits checkpoint themselves again once nobody else does. The clean-up runs in a task of
        // its own: this one is cancelled, and a cancelled task's queries do not run.
        await Task {
            _ = try? await self.write("PRAGMA wal_autocheckpoint = 1000", urgent: false)
            try? await connection.close()
            try? await pool.shutdownGracefully()
        }.value
    }

    /// The checkpoint connection (closed again when its set-up fails); commits stop checkpointing.
    private func openCheckpointer(on pool: NIOThreadPool, logger: Logger) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        do {
            _ = try await connection.query("PRAGMA busy_timeout = 10000")
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await write("PRAGMA wal_autocheckpoint = 0", urgent: false)
            return connection
        } catch {
            // In a task of its own: a cancelled task's queries (the close included) do not run.
            await Task { try? await connection.close() }.value
            throw error
        }
    }

    /// A passive checkpoint: copies what it can without waiting for, or blocking, readers and the writer.
    static func checkpoint(_ connection: SQLiteConnection) async throws -> Checkpoint? {
        guard let row = try await connection.query("PRAGMA wal_checkpoint(PASSIVE)").first else { return nil }
        return Checkpoint(
            busy: (row.column("busy")?.integer ?? 0) != 0, walFrames: row.column("log")?.integer ?? 0,
            checkpointedFrames: row.column("checkpointed")?.integer ?? 0)
    }
}

/// Runs ``SQLiteDatabase/runCheckpoints(every:restartAbove:logger:)`` next to the server.
struct SQLiteCheckpointService: Service {
    let database: SQLiteDatabase
    let interval: Duration
    let logger: Logger
    func run() async throws { try await database.runCheckpoints(every: interval, logger: logger) }
}
