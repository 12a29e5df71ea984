import NIOCore
import NIOPosix

/// The thread SQLite's writer runs on: an event loop of its own, shared by every SQLite database
/// in the process and, like NIO's singletons, never shut down. Nothing else is scheduled there,
/// so the writer may block it (``SQLiteWriterConnection``).
enum SQLiteWriterThreads {
    static let loop: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
}

/// An actor whose executor is the writer's event loop: what it runs, and the async code that
/// code calls (this module runs async functions on their caller's executor), stays on that loop.
actor SQLiteWriterActor {
    nonisolated let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// Runs the queue's drain here; its awaits resume on this loop.
    func drain(_ queue: SQLiteCommitQueue) async {
        await queue.drain()
    }
}
