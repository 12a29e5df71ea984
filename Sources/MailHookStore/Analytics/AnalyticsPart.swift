import Foundation
import MailHookCore

/// One kind of count the analytics add up over a window. Each is one aggregate query over the
/// pipeline's tables for a span of time, and is kept per closed UTC day in a table of its own
/// with the same columns (`analytics_day_<part>`), so a window is the sum of its cached days
/// and two live edges (``SQLStore/analyticsWindow(_:since:)``).
enum AnalyticsPart: String, CaseIterable, Sendable {
    /// Processing counts per day processing started.
    case totals
    /// Stage timings: how many runs took each whole number of milliseconds, per stage.
    case stages
    /// Routing decisions of processing runs.
    case decisions
    /// Classifications per category, urgency, confidence bucket and model, with their confidence sum.
    case classifications
    /// Classifications as what-if routing needs them: category, urgency, confidence, the
    /// decision last recorded and the latest feedback category.
    case routing

    var table: String { "analytics_day_\(rawValue)" }

    /// The columns that tell groups apart.
    var keys: [String] {
        switch self {
        case .totals: ["day"]
        case .stages: ["stage", "ms"]
        case .decisions: ["decision"]
        case .classifications: ["category", "urgency", "bucket", "model_used", "prompt_version"]
        case .routing: ["category", "urgency", "confidence", "decision", "corrected"]
        }
    }

    /// The counted columns, summed when groups meet; all whole numbers but `confidence_sum`.
    var sums: [String] {
        switch self {
        case .totals: ["processed", "n_completed", "n_failed", "replies", "drafts", "reviews", "escalations", "recorded"]
        case .stages, .decisions, .routing: ["n"]
        case .classifications: ["n", "confidence_sum"]
        }
    }

    /// Stages timed in `processing_context.stages`, after the whole run's `total`.
    static let timedStages = ["total"] + PipelineStage.allCases.map(\.rawValue)
}

/// A span of time, `to` open-ended when nil: rows at or after `from` and before `to`.
struct AnalyticsSpan: Sendable, Equatable {
    var from: Date
    var to: Date?

    /// `column` inside the span, as a condition.
    func condition(_ column: String) -> SQLStatement {
        var statement: SQLStatement = " \(raw: column) >= \(from)"
        if let to { statement.append(" AND \(raw: column) < \(to)") }
        return statement
    }
}

extension SQLStore {
    /// The aggregate query of `part` over the pipeline's tables for `span`; its columns are the
    /// part's keys and sums, in that order.
    func aggregate(_ part: AnalyticsPart, over span: AnalyticsSpan) -> SQLStatement {
        switch part {
        case .totals:
            let drafts = Self.inList([.draftCreated, .draftRecorded])
            let reviews = Self.inList([.flaggedForReview, .reviewRecorded])
            let recorded = Self.inList(ActionTaken.allCases.filter { $0.rawValue.hasSuffix("_recorded") })
            var statement: SQLStatement = """
                SELECT \(raw: dialect.utcDay("started_at")) AS day, COUNT(*) AS processed,
                    CAST(SUM(CASE WHEN status = \(ProcessingStatus.completed) THEN 1 ELSE 0 END) AS BIGINT) AS n_completed,
                    CAST(SUM(CASE WHEN status = \(ProcessingStatus.failed) THEN 1 ELSE 0 END) AS BIGINT) AS n_failed,
                    CAST(SUM(CASE WHEN response_sent = \(true) THEN 1 ELSE 0 END) AS BIGINT) AS replies,
                    CAST(SUM(CASE WHEN action_taken IN \(raw: drafts) THEN 1 ELSE 0 END) AS BIGINT) AS drafts,
                    CAST(SUM(CASE WHEN action_taken IN \(raw: reviews) THEN 1 ELSE 0 END) AS BIGINT) AS reviews,
                    CAST(SUM(CASE WHEN \(raw: escalationCondition) THEN 1 ELSE 0 END) AS BIGINT) AS escalations,
                    CAST(SUM(CASE WHEN action_taken IN \(raw: recorded) THEN 1 ELSE 0 END) AS BIGINT) AS recorded
                FROM processing_results WHERE
                """
            statement.append(span.condition("started_at"))
            statement.append(" GROUP BY 1")
            return statement
        case .stages:
            var statement: SQLStatement = "SELECT stage, ms, COUNT(*) AS n FROM ("
            for (index, stage) in AnalyticsPart.timedStages.enumerated() {
                let expression = stage == "total" ? "processing_time_ms" : dialect.jsonInteger("processing_context", ["stages", stage])
                if index > 0 { statement.append(" UNION ALL ") }
                statement.append("SELECT '\(raw: stage)' AS stage, \(raw: expression) AS ms FROM processing_results WHERE")
                statement.append(span.condition("started_at"))
            }
            statement.append(") s WHERE ms IS NOT NULL GROUP BY stage, ms")
            return statement
        case .decisions:
            var statement: SQLStatement = """
                SELECT \(raw: dialect.jsonTextField("confidence_routing", "decision")) AS decision, COUNT(*) AS n
                FROM processing_results WHERE confidence_routing IS NOT NULL AND
                """
            statement.append(span.condition("started_at"))
            statement.append(" GROUP BY 1")
            return statement
        case .classifications:
            // Buckets by comparison, not by division: the databases round a cast differently.
            let bucket = (1...9).reversed().map { "WHEN confidence >= \($0 * 10) THEN \($0 * 10)" }.joined(separator: " ")
            var statement: SQLStatement = """
                SELECT category, urgency, CASE \(raw: bucket) ELSE 0 END AS bucket, model_used, prompt_version,
                    COUNT(*) AS n, SUM(confidence) AS confidence_sum
                FROM classification_results WHERE
                """
            statement.append(span.condition("created_at"))
            statement.append(" GROUP BY 1, 2, 3, 4, 5")
            return statement
        case .routing:
            let decision = dialect.jsonTextField("p.confidence_routing", "decision")
            var statement: SQLStatement = """
                SELECT category, urgency, confidence, decision, corrected, COUNT(*) AS n FROM (
                    SELECT c.category AS category, c.urgency AS urgency, c.confidence AS confidence,
                        (SELECT \(raw: decision) FROM processing_results p WHERE p.email_id = c.email_id
                            ORDER BY p.started_at DESC LIMIT 1) AS decision,
                        (SELECT f.correct_category FROM classification_feedback f WHERE f.email_id = c.email_id
                            ORDER BY f.created_at DESC, f.id DESC LIMIT 1) AS corrected
                    FROM classification_results c WHERE
                """
            statement.append(span.condition("c.created_at"))
            statement.append(") s GROUP BY 1, 2, 3, 4, 5")
            return statement
        }
    }

    /// Emails escalated: created, or recorded in dry-run.
    var escalationCondition: String {
        "(escalation_created = \(dialect == .postgres ? "TRUE" : "1") OR action_taken IN \(Self.inList([.teamsChatRecorded, .workflowCardRecorded, .escalationRecorded])))"
    }

    /// Closed vocabulary, not input: safe as SQL text, and the same on both databases.
    static func inList(_ values: [ActionTaken]) -> String {
        "(" + values.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }
}
