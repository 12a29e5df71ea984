import Foundation
import MailHookCore

/// Reads (and a seed) for operations tooling and tests; the server's own work never needs them.
public protocol StoreInspection: Sendable {
    /// The tables of the application schema.
    func tableNames() async throws -> Set<String>

    /// Inbox rows in id order.
    func inboxRows(limit: Int) async throws -> [InboxRow]

    /// Stored emails, oldest first.
    func emails(limit: Int) async throws -> [StoredEmail]

    /// Action records in id order, of one inbox row or all.
    func actionRecords(inboxId: Int64?) async throws -> [ActionRecord]

    /// A table's rows as JSON objects in insertion order (`email_patterns` with every recorded
    /// observation folded in first).
    func tableRows(_ table: ReadableTable, limit: Int) async throws -> [JSONValue]

    /// The database's plan for the rows a claim of `kinds` reads (`EXPLAIN`), one line a step;
    /// tests and benchmarks check that it stays an index lookup, whatever the backlog.
    func claimPlan(kinds: [InboxKind]) async throws -> [String]

    /// Records a subscription as given (a subscription made elsewhere, or a test's seed).
    func saveSubscription(_ subscription: SubscriptionRecord) async throws

    // The pieces of ``PipelineStore/recordDecision(_:)``, one at a time (for seeds and tests).

    /// Stores a fetched email (once: a message already stored is left as it is). Returns whether it was new.
    @discardableResult
    func recordEmail(_ email: EmailMessage, inboxId: Int64, source: InboxSource) async throws -> Bool

    /// Inserts or updates the email's processing row (by ``ProcessingRecord/id``) and sets
    /// `email_messages.processing_status` (and `retry_count`, `last_error`) to match.
    func saveProcessing(_ record: ProcessingRecord, emailStatus: ProcessingStatus) async throws

    /// Stores an email's classification; one already stored is kept.
    func saveClassification(_ classification: Classification, emailId: String) async throws
}

public struct StoredEmail: Sendable, Equatable {
    public var id: String
    public var inboxId: Int64?
    public var mailbox: String?
    public var senderEmail: String
    public var subject: String
    public var body: String
    public var processingStatus: ProcessingStatus?
}

public struct SubscriptionRecord: Sendable, Equatable {
    public var subscriptionId: String?
    public var resource: String
    public var mailbox: String
    public var clientState: String
    public var expiration: Date?
    public var status: SubscriptionStatus

    public init(subscriptionId: String?, resource: String, mailbox: String, clientState: String, expiration: Date?, status: SubscriptionStatus) {
        self.subscriptionId = subscriptionId
        self.resource = resource
        self.mailbox = mailbox
        self.clientState = clientState
        self.expiration = expiration
        self.status = status
    }
}

/// The tables ``StoreInspection/tableRows(_:limit:)`` may read.
public enum ReadableTable: String, Sendable, CaseIterable {
    case inbox, subscriptions
    case actionRecords = "action_records"
    case auditLog = "audit_log"
    case emailMessages = "email_messages"
    case classificationResults = "classification_results"
    case processingResults = "processing_results"
    case escalationTeams = "escalation_teams"
    case emailPatterns = "email_patterns"
    case patternObservations = "pattern_observations"
    case performanceMetrics = "performance_metrics"
    case classificationFeedback = "classification_feedback"

    /// Tables keyed by an increasing integer; the others have text ids and are read in insertion order.
    var hasIntegerId: Bool {
        switch self {
        case .inbox, .subscriptions, .actionRecords, .auditLog, .patternObservations: true
        case .emailMessages, .classificationResults, .processingResults, .escalationTeams, .emailPatterns, .performanceMetrics, .classificationFeedback: false
        }
    }
}
