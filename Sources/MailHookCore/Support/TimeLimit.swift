/// Thrown by ``withTimeLimit(_:_:)`` when the limit passed first.
public struct TimeLimitExceeded: Error, Equatable, CustomStringConvertible {
    public let limit: Duration
    public init(limit: Duration) { self.limit = limit }
    public var description: String { "no answer within \(limit)" }
}

/// Runs `body`, cancelling it when `limit` passes first (the limit's timer goes as soon as `body` ends). Outbound HTTP calls use it for the whole
/// exchange, the response body included: AsyncHTTPClient's own deadline ends at the response head,
/// and its idle read timeout is left off (its state machine has trapped a process).
public func withTimeLimit<T: Sendable>(
    _ limit: Duration, on scheduler: @escaping CancellableSleep.Scheduler = CancellableSleep.dispatch, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await CancellableSleep.sleep(for: limit, on: scheduler)
            throw TimeLimitExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimeLimitExceeded(limit: limit) }
        return first
    }
}
