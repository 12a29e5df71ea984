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
