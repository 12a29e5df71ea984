import Synchronization

/// At most `permits` Graph requests in flight per mailbox, across every caller in the process
/// (Outlook allows 4 concurrent requests per app and mailbox). Waiters are served in order.
public final class MailboxLimiter: Sendable {
    private struct Slot {
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public let permits: Int
    private let slots = Mutex<[String: Slot]>([:])

    public init(permits: Int = 4) {
        self.permits = permits
    }

    public func withPermit<T: Sendable>(mailbox: String?, _ body: () async throws -> T) async throws -> T {
        guard let mailbox else { return try await body() }
        let key = mailbox.lowercased()
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = slots.withLock { slots -> Bool in
                var slot = slots[key, default: Slot()]
                defer { slots[key] = slot }
                if slot.inFlight < permits {
                    slot.inFlight += 1
                    return true
                }
                slot.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = slots.withLock { slots -> CheckedContinuation<Void, Never>? in
            guard var slot = slots[key] else { return nil }
            defer { slots[key] = slot.inFlight == 0 && slot.waiters.isEmpty ? nil : slot }
            if !slot.waiters.isEmpty { return slot.waiters.removeFirst() }  // the permit passes on
            slot.inFlight -= 1
            return nil
        }
        next?.resume()
    }
}
