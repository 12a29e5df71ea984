import Foundation
import MailHookCore

/// Everything MailHook stored about one email, for `GET /emails/{id}`: where it came in, what it
/// read, how it classified and routed it, every action with its request and outcome, and what
/// people said of it. JSON columns are returned as JSON; keys are snake_case like the tables'.
public struct EmailTrail: Sendable, Encodable {
    public struct Email: Sendable, Encodable {
        public var id: String
        public var source: String?
        public var mailbox: String?
        public var sender: String
        public var subject: String
        public var body: String
        public var receivedAt: Date?
        public var processingStatus: ProcessingStatus?

        enum CodingKeys: String, CodingKey {
            case id, source, mailbox, sender, subject, body
            case receivedAt = "received_at", processingStatus = "processing_status"
        }
    }

    public struct InboxEntry: Sendable, Encodable {
        public var id: Int64
        public var kind: InboxKind?
        public var endpoint: String?
        public var status: InboxStatus?
        public var attempts: Int
        public var lastError: String?
        public var receivedAt: Date?
        public var completedAt: Date?

        enum CodingKeys: String, CodingKey {
            case id, kind, endpoint, status, attempts
            case lastError = "last_error", receivedAt = "received_at", completedAt = "completed_at"
        }
    }

    public struct ClassificationEntry: Sendable, Encodable {
        public var category: String
        public var confidence: Double
        public var urgency: String
        public var reasoning: String
        public var suggestedAction: String
        public var modelUsed: String?
        public var promptVersion: String?
        public var createdAt: Date?

        enum CodingKeys: String, CodingKey {
            case category, confidence, urgency, reasoning
            case suggestedAction = "suggested_action", modelUsed = "model_used", promptVersion = "prompt_version", createdAt = "created_at"
        }
    }

    public struct ProcessingEntry: Sendable, Encodable {
        public var status: ProcessingStatus?
        public var actionTaken: String?
        public var errorStage: String?
        public var errorMessage: String?
        /// The routing decision, the rule that chose it and any guard that downgraded it.
        public var routing: JSONValue?
        /// Stage timings and sanitiser counts.
        public var context: JSONValue?
        public var processingTimeMs: Int?
        public var startedAt: Date?
        public var completedAt: Date?

        enum CodingKeys: String, CodingKey {
            case status, routing, context
            case actionTaken = "action_taken", errorStage = "error_stage", errorMessage = "error_message"
            case processingTimeMs = "processing_time_ms", startedAt = "started_at", completedAt = "completed_at"
        }
    }

    public struct ActionEntry: Sendable, Encodable {
        public var action: ActionKind
        public var mode: ActionMode
        public var status: ActionStatus
        public var request: JSONValue?
        public var result: JSONValue?
        public var createdAt: Date?
        public var completedAt: Date?

        enum CodingKeys: String, CodingKey {
            case action, mode, status, request, result
            case createdAt = "created_at", completedAt = "completed_at"
        }
    }

    public struct FeedbackEntry: Sendable, Encodable {
        public var rating: FeedbackRating?
        public var correctCategory: String
        public var correctUrgency: String?
        public var comment: String?
        public var createdAt: Date?

        enum CodingKeys: String, CodingKey {
            case rating, comment
            case correctCategory = "correct_category", correctUrgency = "correct_urgency", createdAt = "created_at"
        }
    }

    public var email: Email
    public var inbox: [InboxEntry]
    public var classification: ClassificationEntry?
    public var processing: [ProcessingEntry]
    public var actions: [ActionEntry]
    public var feedback: [FeedbackEntry]
}
