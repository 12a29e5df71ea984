import MailHookCore
import MailHookStore

/// What happened to one inbox row.
public enum ProcessingOutcome: Sendable, Equatable {
    /// Done: `completed`, or `gone` for a message that no longer exists, `filtered`, `ignored`…
    case finished(status: InboxStatus, note: String? = nil)
    /// Done, and the processor marked the row `completed` itself in its last transaction.
    case recorded
}

/// Processes inbox rows of one or more kinds.
public protocol InboxProcessor: Sendable {
    var kinds: [InboxKind] { get }
    func process(_ row: InboxRow) async throws -> ProcessingOutcome
}

/// An item that can never be processed (its payload cannot be read): dead-lettered at once,
/// without spending the remaining attempts.
public struct UnprocessableItem: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "unprocessable: \(reason)" }
}

/// An error that carries the one that caused it (so the dispatcher can see an ``UnprocessableItem`` inside).
public protocol WrappingError: Error {
    var underlying: any Error { get }
}

extension Error {
    /// Whether this error, or one it wraps, says the item can never be processed.
    var isUnprocessable: Bool {
        if self is UnprocessableItem { return true }
        return (self as? any WrappingError)?.underlying.isUnprocessable ?? false
    }
}

/// The heartbeat found the row's lease taken by another worker: this attempt stops.
struct LostClaim: Error, CustomStringConvertible {
    var description: String { "the inbox row's lease was lost to another worker" }
}

/// A failure caused by a dependency being unavailable (Graph down or throttling, its breaker
/// open), not by the item: the row waits `retryAfter` (at least) without spending an attempt.
public protocol OutageFailure: Error {
    /// Seconds to wait at least, or nil when this error is not an outage.
    var outageRetryAfter: Double? { get }
}

extension Error {
    /// The outage wait, when this error (or one it wraps) is an outage.
    var outageWait: Double? {
        if let outage = (self as? any OutageFailure)?.outageRetryAfter { return outage }
        // The database itself down or full: not the item's fault either.
        if isStoreOutage { return 10 }
        return (self as? any WrappingError)?.underlying.outageWait
    }

    /// Whether the attempt stopped because another worker holds the row now.
    var isLostClaim: Bool {
        if self is LostClaim || self is StaleClaim { return true }
        return (self as? any WrappingError)?.underlying.isLostClaim ?? false
    }
}
