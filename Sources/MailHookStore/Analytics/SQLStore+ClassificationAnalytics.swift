import Foundation
import MailHookCore

extension SQLStore {
    /// Counted in SQL over the window (closed days from the day cache); nothing loads a table.
    public func classificationAnalytics(days: Int) async throws -> ClassificationAnalytics {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        let groups = try await analyticsWindow([.classifications], since: since).groups(.classifications)
        var histogram = Dictionary(uniqueKeysWithValues: stride(from: 0, through: 90, by: 10).map { ($0, 0) })
        var urgency: [String: Int] = [:]
        var models: [ModelKey: Int] = [:]
        for group in groups {
            if let bucket = group.key("bucket").flatMap({ Int($0) }), histogram[bucket] != nil { histogram[bucket, default: 0] += group.count() }
            urgency[group.key("urgency") ?? "", default: 0] += group.count()
            models[ModelKey(model: group.key("model_used"), prompt: group.key("prompt_version")), default: 0] += group.count()
        }
        // Each email's latest feedback (the highest id among its latest timestamp breaks a tie),
        // found from the feedback side: people rate far fewer emails than MailHook classifies.
        let confusion = try await database.read("""
            SELECT c.category AS classified, f.correct_category AS corrected, COUNT(*) AS n
            FROM classification_feedback f JOIN classification_results c ON c.email_id = f.email_id
            WHERE c.created_at >= \(since) AND NOT EXISTS (
                SELECT 1 FROM classification_feedback g WHERE g.email_id = f.email_id
                    AND (g.created_at > f.created_at OR (g.created_at = f.created_at AND g.id > f.id)))
            GROUP BY c.category, f.correct_category ORDER BY 1, 2
            """).map { r in
            ClassificationAnalytics.ConfusionCell(classified: r.string("classified") ?? "", corrected: r.string("corrected") ?? "", count: r.int("n") ?? 0)
        }
        let fallbacks = try await database.read("""
            SELECT COUNT(DISTINCT email_id) AS n FROM processing_results
            WHERE error_stage = \(PipelineStage.classify) AND started_at >= \(since) AND error_message LIKE 'classifier fell back%'
            """).first?.int("n") ?? 0
        return ClassificationAnalytics(
            days: days, categories: Self.categoryShares(groups),
            confidenceHistogram: histogram.sorted { $0.key < $1.key }.map { .init(from: $0.key, count: $0.value) },
            urgency: urgency.sorted { $0.key < $1.key }.map { .init(value: $0.key, count: $0.value) },
            models: models.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { .init(model: $0.key.model, promptVersion: $0.key.prompt, count: $0.value) },
            llmFallbacks: fallbacks, feedback: .init(confusion: confusion))
    }

    /// Classifications per category, with their average confidence (one decimal).
    static func categoryShares(_ groups: [AnalyticsWindow.Group]) -> [ClassificationAnalytics.CategoryShare] {
        var shares: [String: (count: Int, sum: Double)] = [:]
        for group in groups {
            let category = group.key("category") ?? ""
            let share = shares[category] ?? (0, 0)
            shares[category] = (share.count + group.count(), share.sum + group.sum("confidence_sum"))
        }
        return shares.sorted { $0.key < $1.key }.map { category, share in
            let average = share.count > 0 ? share.sum / Double(share.count) : 0
            return .init(category: category, count: share.count, averageConfidence: average.isFinite ? (average * 10).rounded() / 10 : 0)
        }
    }

    /// A model and prompt version, ordered as the report lists them (no model first).
    struct ModelKey: Hashable, Comparable {
        var model: String?
        var prompt: String?

        static func < (a: ModelKey, b: ModelKey) -> Bool {
            func order(_ x: String?, _ y: String?) -> Bool? {
                switch (x, y) {
                case (nil, nil): nil
                case (nil, _): true
                case (_, nil): false
                case let (x?, y?): x == y ? nil : x < y
                }
            }
            return order(a.model, b.model) ?? order(a.prompt, b.prompt) ?? false
        }
    }
}
