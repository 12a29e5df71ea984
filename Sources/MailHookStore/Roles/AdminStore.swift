import MailHookCore

/// What the admin API reads and records. Reads are bounded per email; nothing loads a table.
public protocol AdminStore: Sendable {
    /// The whole stored trail of one email, or nil when no such email is stored.
    func emailTrail(id: String) async throws -> EmailTrail?

    /// Emails newest first, filtered and paged by `query` (keyset paging: each email once).
    func emailHistory(_ query: EmailHistoryQuery) async throws -> EmailHistoryPage

    /// Stores a person's feedback on an email's classification; nil when the email is unknown.
    func recordFeedback(_ feedback: ClassificationFeedback) async throws -> String?

    /// Classifications of the last `days` days and their agreement with feedback, counted in SQL.
    func classificationAnalytics(days: Int) async throws -> ClassificationAnalytics

    /// Pipeline totals, per-stage p50/p95 and daily trends of the last `days` days, counted in SQL.
    func processingAnalytics(days: Int) async throws -> ProcessingAnalytics

    /// The dashboard's numbers (last 24 hours and 7 days, inbox depth, review queue, candidates).
    func dashboard() async throws -> DashboardSummary

    /// The stored classifications of the window with their decision and latest feedback, grouped, for what-if routing.
    func routingSamples(days: Int) async throws -> [RoutingSimulation.Sample]

    /// One page of subject patterns, most frequent first.
    func patterns(_ query: PatternQuery) async throws -> PatternsPage

    /// Each email's latest feedback with its subject and body, as training examples for `mailhook train`.
    func feedbackExamples(limit: Int) async throws -> [LabelledEmail]
}
