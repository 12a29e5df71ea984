import Foundation
import Prometheus

/// Subscription health: renewals, creates, failures and how soon the next subscription expires.
public final class GraphMetrics: Sendable {
    let renewals: Counter
    let creates: Counter
    let failures: Counter
    let earliestExpiry: Gauge

    public init(registry: PrometheusCollectorRegistry) {
        renewals = registry.makeCounter(descriptor: .init(metricName: "mailhook_subscription_renewals_total", unitName: "", helpText: "Graph subscriptions renewed."))
        creates = registry.makeCounter(descriptor: .init(metricName: "mailhook_subscription_creates_total", unitName: "", helpText: "Graph subscriptions created."))
        failures = registry.makeCounter(descriptor: .init(metricName: "mailhook_subscription_failures_total", unitName: "", helpText: "Failed subscription creates and renewals."))
        earliestExpiry = registry.makeGauge(descriptor: .init(
            metricName: "mailhook_subscription_earliest_expiry_seconds", unitName: "", helpText: "Seconds until the earliest active subscription expires."))
    }

    func renewed() { renewals.increment() }
    func created() { creates.increment() }
    func failure() { failures.increment() }

    func setEarliestExpiry(_ date: Date?, now: Date) {
        earliestExpiry.set(date.map { $0.timeIntervalSince(now) } ?? 0)
    }
}
