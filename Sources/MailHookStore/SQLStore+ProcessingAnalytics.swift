import Foundation
import MailHookCore

extension SQLStore {
    /// Counted and ranked in SQL over the window; nothing loads a table.
    public func processingAnalytics(days: Int) async throws -> ProcessingAnalytics {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        let totals = try await processingTotals(since: since)
        var stages: [ProcessingAnalytics.StageTiming] = []
        let columns = [("total", "processing_time_ms")] + PipelineStage.allCases.map { ($0.rawValue, dialect.jsonInteger("processing_context", ["stages", $0.rawValue])) }
        for (stage, expression) in columns {
            if let timing = try await percentiles(stage: stage, expression: expression, since: since) { stages.append(timing) }
        }
        return ProcessingAnalytics(days: days, totals: totals, stages: stages, daily: try await processingDaily(since: since))
    }

    /// What `ProcessingAnalytics.Totals` counts, over emails whose processing started since `since`.
    func processingTotals(since: Date) async throws -> ProcessingAnalytics.Totals {
        let drafts = Self.inList([.draftCreated, .draftRecorded])
        let reviews = Self.inList([.flaggedForReview, .reviewRecorded])
        let recorded = Self.inList(ActionTaken.allCases.filter { $0.rawValue.hasSuffix("_recorded") })
        let escalations = escalationCondition
        var totals = ProcessingAnalytics.Totals()
        if let r = try await database.read("""
            SELECT COUNT(*) AS processed,
                SUM(CASE WHEN status = \(ProcessingStatus.completed) THEN 1 ELSE 0 END) AS n_completed,
                SUM(CASE WHEN status = \(ProcessingStatus.failed) THEN 1 ELSE 0 END) AS n_failed,
                SUM(CASE WHEN response_sent = \(true) THEN 1 ELSE 0 END) AS replies,
                SUM(CASE WHEN action_taken IN \(raw: drafts) THEN 1 ELSE 0 END) AS drafts,
                SUM(CASE WHEN action_taken IN \(raw: reviews) THEN 1 ELSE 0 END) AS reviews,
                SUM(CASE WHEN \(raw: escalations) THEN 1 ELSE 0 END) AS escalations,
                SUM(CASE WHEN action_taken IN \(raw: recorded) THEN 1 ELSE 0 END) AS recorded
            FROM processing_results WHERE started_at >= \(since)
            """).first {
            totals.processed = r.int("processed") ?? 0
            totals.completed = r.int("n_completed") ?? 0
            totals.failed = r.int("n_failed") ?? 0
            totals.inProgress = totals.processed - totals.completed - totals.failed
            totals.repliesSent = r.int("replies") ?? 0
            totals.drafts = r.int("drafts") ?? 0
            totals.reviews = r.int("reviews") ?? 0
            totals.escalations = r.int("escalations") ?? 0
            totals.dryRun = r.int("recorded") ?? 0
        }
        return totals
    }

    /// The daily counts since `since`, oldest first.
    func processingDaily(since: Date) async throws -> [ProcessingAnalytics.Day] {
        let escalations = escalationCondition
        let day = dialect.utcDay("started_at")
        return try await database.read("""
            SELECT \(raw: day) AS day, COUNT(*) AS processed,
                SUM(CASE WHEN status = \(ProcessingStatus.completed) THEN 1 ELSE 0 END) AS n_completed,
                SUM(CASE WHEN status = \(ProcessingStatus.failed) THEN 1 ELSE 0 END) AS n_failed,
                SUM(CASE WHEN \(raw: escalations) THEN 1 ELSE 0 END) AS escalations
            FROM processing_results WHERE started_at >= \(since) GROUP BY 1 ORDER BY 1
            """).map { r in
            ProcessingAnalytics.Day(
                day: r.string("day") ?? "", processed: r.int("processed") ?? 0, completed: r.int("n_completed") ?? 0,
                failed: r.int("n_failed") ?? 0, escalations: r.int("escalations") ?? 0)
        }
    }

    /// Emails escalated: created, or recorded in dry-run.
    private var escalationCondition: String {
        "(escalation_created = \(dialect == .postgres ? "TRUE" : "1") OR action_taken IN \(Self.inList([.teamsChatRecorded, .workflowCardRecorded, .escalationRecorded])))"
    }

    /// Closed vocabulary, not input: safe as SQL text, and the same on both databases.
    static func inList(_ values: [ActionTaken]) -> String {
        "(" + values.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    /// p50 and p95 (nearest rank, ``ProcessingAnalytics/rank(percent:count:)``) of `expression`, one query.
    private func percentiles(stage: String, expression: String, since: Date) async throws -> ProcessingAnalytics.StageTiming? {
        let rows = try await database.read("""
            SELECT v, rn, n FROM (
                SELECT v, ROW_NUMBER() OVER (ORDER BY v) AS rn, COUNT(*) OVER () AS n
                FROM (SELECT \(raw: expression) AS v FROM processing_results WHERE started_at >= \(since)) s WHERE v IS NOT NULL
            ) r WHERE rn = (50 * (n - 1)) / 100 + 1 OR rn = (95 * (n - 1)) / 100 + 1 ORDER BY rn
            """)
        guard let n = rows.first?.int("n"), n > 0 else { return nil }
        func value(_ percent: Int) -> Int {
            let rank = ProcessingAnalytics.rank(percent: percent, count: n) + 1
            return rows.first { $0.int("rn") == rank }?.int("v") ?? 0
        }
        return .init(stage: stage, count: n, p50Ms: value(50), p95Ms: value(95))
    }
}
