import Foundation
import MailHookCore

extension SQLStore {
    /// Counted and ranked in SQL over the window (closed days from the day cache); nothing loads a table.
    public func processingAnalytics(days: Int) async throws -> ProcessingAnalytics {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        let window = try await analyticsWindow([.totals, .stages], since: since)
        return ProcessingAnalytics(days: days, totals: Self.totals(window), stages: Self.stageTimings(window), daily: Self.daily(window))
    }

    /// What `ProcessingAnalytics.Totals` counts, over emails whose processing started since `since`.
    func processingTotals(since: Date) async throws -> ProcessingAnalytics.Totals {
        Self.totals(try await analyticsWindow([.totals], since: since))
    }

    static func totals(_ window: AnalyticsWindow) -> ProcessingAnalytics.Totals {
        var totals = ProcessingAnalytics.Totals()
        for day in window.groups(.totals) {
            totals.processed += day.count("processed")
            totals.completed += day.count("n_completed")
            totals.failed += day.count("n_failed")
            totals.repliesSent += day.count("replies")
            totals.drafts += day.count("drafts")
            totals.reviews += day.count("reviews")
            totals.escalations += day.count("escalations")
            totals.dryRun += day.count("recorded")
        }
        totals.inProgress = totals.processed - totals.completed - totals.failed
        return totals
    }

    /// The daily counts of the window, oldest first.
    static func daily(_ window: AnalyticsWindow) -> [ProcessingAnalytics.Day] {
        window.groups(.totals).map { day in
            ProcessingAnalytics.Day(
                day: day.key("day") ?? "", processed: day.count("processed"), completed: day.count("n_completed"), failed: day.count("n_failed"), escalations: day.count("escalations"))
        }.sorted { $0.day < $1.day }
    }

    /// p50 and p95 (nearest rank, ``ProcessingAnalytics/rank(percent:count:)``) of each timed
    /// stage, read off the window's histogram of whole milliseconds.
    static func stageTimings(_ window: AnalyticsWindow) -> [ProcessingAnalytics.StageTiming] {
        var histograms: [String: [Int: Int]] = [:]
        for group in window.groups(.stages) {
            guard let stage = group.key("stage"), let ms = group.key("ms").flatMap({ Int($0) }) else { continue }
            histograms[stage, default: [:]][ms, default: 0] += group.count()
        }
        return AnalyticsPart.timedStages.compactMap { stage in
            guard let histogram = histograms[stage] else { return nil }
            let values = histogram.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            let count = values.reduce(0) { $0 + $1.value }
            guard count > 0 else { return nil }
            func value(_ percent: Int) -> Int {
                let rank = ProcessingAnalytics.rank(percent: percent, count: count)
                var seen = 0
                for (ms, n) in values {
                    seen += n
                    if seen > rank { return ms }
                }
                return values.last?.key ?? 0
            }
            return .init(stage: stage, count: count, p50Ms: value(50), p95Ms: value(95))
        }
    }
}
