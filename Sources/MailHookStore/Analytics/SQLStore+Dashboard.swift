import Foundation
import MailHookCore

extension SQLStore {
    /// The dashboard's numbers: a handful of counting queries and two bounded lists.
    public func dashboard() async throws -> DashboardSummary {
        let now = now()
        let day = now.addingTimeInterval(-86_400)
        let week = now.addingTimeInterval(-7 * 86_400)
        let lastWeek = try await analyticsWindow([.totals, .decisions, .classifications], since: week)
        let categories = Self.categoryShares(lastWeek.groups(.classifications))
        let decisions = lastWeek.groups(.decisions).compactMap { group in group.key("decision").map { ClassificationAnalytics.Share(value: $0, count: group.count()) } }
            .sorted { $0.value < $1.value }
        let escalations = try await database.read("SELECT COUNT(*) AS n FROM escalation_teams WHERE status = 'active'").first?.int("n") ?? 0
        var depth: [String: Int] = [:]
        for r in try await database.read("""
            SELECT status, COUNT(*) AS n FROM inbox WHERE status IN (\(list: [InboxStatus.pending, .processing, .dead].map(\.rawValue))) GROUP BY status
            """) {
            depth[r.string("status") ?? ""] = r.int("n") ?? 0
        }
        let queueDecision = dialect.jsonTextField("p.confidence_routing", "decision")
        let queue = try await database.read("""
            SELECT e.id AS id, e.subject AS subject, e.sender_email AS sender, e.received_datetime AS received_at,
                (SELECT c.category FROM classification_results c WHERE c.email_id = e.id LIMIT 1) AS category,
                (SELECT c.confidence FROM classification_results c WHERE c.email_id = e.id LIMIT 1) AS confidence,
                \(raw: queueDecision) AS decision
            FROM processing_results p JOIN email_messages e ON e.id = p.email_id
            WHERE \(raw: queueDecision) IN (\(list: DashboardSummary.reviewDecisions.map(\.rawValue)))
            ORDER BY p.started_at DESC, e.id LIMIT \(DashboardSummary.reviewQueueSize)
            """).map { r in
            DashboardSummary.ReviewItem(
                id: r.string("id") ?? "", subject: r.string("subject") ?? "", sender: r.string("sender") ?? "", receivedAt: r.date("received_at"),
                category: r.string("category"), confidence: r.double("confidence"), decision: r.string("decision") ?? "")
        }
        var candidatesQuery = PatternQuery()
        candidatesQuery.minAutomationPotential = 1
        candidatesQuery.limit = 100
        let candidates = try await patterns(candidatesQuery).patterns
            .sorted { $0.estimatedMinutesSaved != $1.estimatedMinutesSaved ? $0.estimatedMinutesSaved > $1.estimatedMinutesSaved : $0.patternId < $1.patternId }
            .prefix(DashboardSummary.candidateCount)
        return DashboardSummary(
            last24h: try await processingTotals(since: day), last7d: Self.totals(lastWeek),
            daily: Self.daily(lastWeek), categories: categories, decisions: decisions, activeEscalations: escalations,
            inbox: .init(
                pending: depth[InboxStatus.pending.rawValue] ?? 0, processing: depth[InboxStatus.processing.rawValue] ?? 0,
                deadLetters: depth[InboxStatus.dead.rawValue] ?? 0),
            reviewQueue: queue, automationCandidates: Array(candidates))
    }
}
