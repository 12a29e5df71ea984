import MailHookCore
import NIOCore

/// A ``CancellableSleep`` on an event loop's timer: the receive path races every body read
/// against a deadline, and its timer then lives on the connection's own loop.
enum EventLoopSleep {
    static func sleep(for duration: Duration, on eventLoop: any EventLoop) async throws {
        try await CancellableSleep.sleep(for: duration) { duration, fire in
            let scheduled = eventLoop.scheduleTask(in: .nanoseconds(duration.clampedNanoseconds), fire)
            return { scheduled.cancel() }
        }
    }
}
