import Foundation
import MailHookCore

/// What the pipeline knows once an email is classified and routed, stored in one transaction
/// before any action: the email (once), its classification (the first one stored wins) and its
/// processing row.
public struct ProcessingDecision: Sendable, Equatable {
    public var email: EmailMessage
    public var inboxId: Int64
    public var source: InboxSource
    /// Nil when an earlier attempt's classification is reused (or classifying failed).
    public var classification: Classification?
    public var processing: ProcessingRecord
    /// The new `email_messages.processing_status`.
    public var emailStatus: ProcessingStatus

    public init(
        email: EmailMessage, inboxId: Int64, source: InboxSource, classification: Classification?, processing: ProcessingRecord,
        emailStatus: ProcessingStatus
    ) {
        self.email = email
        self.inboxId = inboxId
        self.source = source
        self.classification = classification
        self.processing = processing
        self.emailStatus = emailStatus
    }
}

/// The outcome of an action whose call is over, recorded by ``PipelineStore/finishAction(idempotencyKey:status:result:)``
/// or with the email's completion.
public struct ActionOutcome: Sendable, Equatable {
    public var idempotencyKey: String
    public var status: ActionStatus
    public var result: String?

    public init(idempotencyKey: String, status: ActionStatus, result: String?) {
        self.idempotencyKey = idempotencyKey
        self.status = status
        self.result = result
    }
}

/// An inbox row as held by one claim: updates fenced by it do nothing once another worker holds the row.
public struct InboxLease: Sendable, Equatable {
    public var id: Int64
    public var owner: String

    public init(id: Int64, owner: String) {
        self.id = id
        self.owner = owner
    }
}
