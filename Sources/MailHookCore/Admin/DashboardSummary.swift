import Foundation

/// `GET /analytics/dashboard`: what an operator looks at first. Every number is counted in SQL;
/// the lists are bounded (the review queue to ``reviewQueueSize``, candidates to ``candidateCount``).
public struct DashboardSummary: Sendable, Equatable, Encodable {
    /// Inbox items by state: the work not done yet, and what gave up.
    public struct InboxDepth: Sendable, Equatable, Encodable {
        public var pending: Int
        public var processing: Int
        public var deadLetters: Int

        public init(pending: Int, processing: Int, deadLetters: Int) {
            self.pending = pending
            self.processing = processing
            self.deadLetters = deadLetters
        }

        enum CodingKeys: String, CodingKey {
            case pending, processing
            case deadLetters = "dead_letters"
        }
    }

    /// An email a person should look at: its decision left it (or part of it) to people.
    public struct ReviewItem: Sendable, Equatable, Encodable {
        public var id: String
        public var subject: String
        public var sender: String
        public var receivedAt: Date?
        public var category: String?
        public var confidence: Double?
        public var decision: String

        public init(id: String, subject: String, sender: String, receivedAt: Date?, category: String?, confidence: Double?, decision: String) {
            self.id = id
            self.subject = subject
            self.sender = sender
            self.receivedAt = receivedAt
            self.category = category
            self.confidence = confidence
            self.decision = decision
        }

        enum CodingKeys: String, CodingKey {
            case id, subject, sender, category, confidence, decision
            case receivedAt = "received_at"
        }
    }

    public static let reviewQueueSize = 20
    public static let candidateCount = 5
    /// Decisions that leave the email to people, newest first in ``reviewQueue``.
    public static let reviewDecisions: [RoutingDecision] = [.suggestResponse, .humanReview, .escalate]

    public var last24h: ProcessingAnalytics.Totals
    public var last7d: ProcessingAnalytics.Totals
    /// Per UTC day of the last seven.
    public var daily: [ProcessingAnalytics.Day]
    /// Categories of the last seven days.
    public var categories: [ClassificationAnalytics.CategoryShare]
    /// Routing decisions of the last seven days.
    public var decisions: [ClassificationAnalytics.Share]
    /// Escalation chats and cards not resolved yet.
    public var activeEscalations: Int
    public var inbox: InboxDepth
    public var reviewQueue: [ReviewItem]
    /// The patterns that would save the most minutes (``PatternSummary/estimatedMinutesSaved``).
    public var automationCandidates: [PatternSummary]

    public init(
        last24h: ProcessingAnalytics.Totals, last7d: ProcessingAnalytics.Totals, daily: [ProcessingAnalytics.Day],
        categories: [ClassificationAnalytics.CategoryShare], decisions: [ClassificationAnalytics.Share], activeEscalations: Int,
        inbox: InboxDepth, reviewQueue: [ReviewItem], automationCandidates: [PatternSummary]
    ) {
        self.last24h = last24h
        self.last7d = last7d
        self.daily = daily
        self.categories = categories
        self.decisions = decisions
        self.activeEscalations = activeEscalations
        self.inbox = inbox
        self.reviewQueue = reviewQueue
        self.automationCandidates = automationCandidates
    }

    enum CodingKeys: String, CodingKey {
        case daily, categories, decisions, inbox
        case last24h = "last_24h"
        case last7d = "last_7d"
        case activeEscalations = "active_escalations"
        case reviewQueue = "review_queue"
        case automationCandidates = "automation_candidates"
    }
}
