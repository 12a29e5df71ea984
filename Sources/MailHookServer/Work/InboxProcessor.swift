import MailHookCore
import MailHookStore

/// What happened to one inbox row.
public enum ProcessingOutcome: Sendable, Equatable {
    /// Done: `completed`, or `gone` for a message that no longer exists, `filtered`, `ignored`…
    case finished(status: InboxStatus, note: String? = nil)
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
