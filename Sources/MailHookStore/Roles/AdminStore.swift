import MailHookCore

/// What the admin API reads and records. Reads are bounded per email; nothing loads a table.
public protocol AdminStore: Sendable {
    /// The whole stored trail of one email, or nil when no such email is stored.
    func emailTrail(id: String) async throws -> EmailTrail?

    /// Stores a person's feedback on an email's classification; nil when the email is unknown.
    func recordFeedback(_ feedback: ClassificationFeedback) async throws -> String?
}
