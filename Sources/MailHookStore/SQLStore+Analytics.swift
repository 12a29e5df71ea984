import Foundation
import MailHookCore

extension SQLStore {
    /// Counted in SQL over the window; nothing loads a table.
    public func classificationAnalytics(days: Int) async throws -> ClassificationAnalytics {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        let categories = try await categoryShares(since: since)
        // Buckets by comparison, not by division: the databases round a cast differently.
        let bucketCase = (1...9).reversed().map { "WHEN confidence >= \($0 * 10) THEN \($0 * 10)" }.joined(separator: " ")
        var histogram = try await database.read("""
            SELECT CASE \(raw: bucketCase) ELSE 0 END AS bucket, COUNT(*) AS n FROM classification_results
            WHERE created_at >= \(since) GROUP BY 1 ORDER BY 1
            """).map { r in ClassificationAnalytics.ConfidenceBucket(from: r.int("bucket") ?? 0, count: r.int("n") ?? 0) }
        for from in stride(from: 0, through: 90, by: 10) where !histogram.contains(where: { $0.from == from }) {
            histogram.append(.init(from: from, count: 0))
        }
        histogram.sort { $0.from < $1.from }
        let urgency = try await database.read("""
            SELECT urgency, COUNT(*) AS n FROM classification_results WHERE created_at >= \(since) GROUP BY urgency ORDER BY urgency
            """).map { r in ClassificationAnalytics.Share(value: r.string("urgency") ?? "", count: r.int("n") ?? 0) }
        let models = try await database.read("""
            SELECT model_used, prompt_version, COUNT(*) AS n FROM classification_results WHERE created_at >= \(since)
            GROUP BY model_used, prompt_version ORDER BY 3 DESC, 1, 2
            """).map { r in ClassificationAnalytics.ModelShare(model: r.string("model_used"), promptVersion: r.string("prompt_version"), count: r.int("n") ?? 0) }
        let fallbacks = try await database.read("""
            SELECT COUNT(DISTINCT email_id) AS n FROM processing_results
            WHERE error_stage = \(PipelineStage.classify) AND error_message LIKE 'classifier fell back%' AND started_at >= \(since)
            """).first?.int("n") ?? 0
        // Each email's latest feedback (the highest id among its latest timestamp breaks a tie).
        let confusion = try await database.read("""
            SELECT c.category AS classified, f.correct_category AS corrected, COUNT(*) AS n
            FROM classification_results c JOIN classification_feedback f ON f.email_id = c.email_id
            WHERE c.created_at >= \(since) AND f.id = (
                SELECT g.id FROM classification_feedback g WHERE g.email_id = c.email_id ORDER BY g.created_at DESC, g.id DESC LIMIT 1)
            GROUP BY c.category, f.correct_category ORDER BY 1, 2
            """).map { r in
            ClassificationAnalytics.ConfusionCell(classified: r.string("classified") ?? "", corrected: r.string("corrected") ?? "", count: r.int("n") ?? 0)
        }
        return ClassificationAnalytics(
            days: days, categories: categories, confidenceHistogram: histogram, urgency: urgency, models: models, llmFallbacks: fallbacks,
            feedback: .init(confusion: confusion))
    }

    /// Classifications since `since` per category, with their average confidence (one decimal).
    func categoryShares(since: Date) async throws -> [ClassificationAnalytics.CategoryShare] {
        try await database.read("""
            SELECT category, COUNT(*) AS n, AVG(confidence) AS average FROM classification_results
            WHERE created_at >= \(since) GROUP BY category ORDER BY category
            """).map { r in
            ClassificationAnalytics.CategoryShare(
                category: r.string("category") ?? "", count: r.int("n") ?? 0, averageConfidence: ((r.double("average") ?? 0) * 10).rounded() / 10)
        }
    }
}
