import MailHookCore
import Prometheus
import Synchronization

/// The receive path's Prometheus series. Built on a registry passed in (never a global), so
/// tests read exactly what one server instance counted.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let ackLatency: DurationHistogram
    let inboxDepth: Gauge
    let pipelineDuration: DurationHistogram
    private let counters = Mutex<[CounterKey: Counter]>([:])

    private struct CounterKey: Hashable {
        let name: String
        let labels: [String]
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        ackLatency = registry.makeDurationHistogram(
            descriptor: .init(metricName: "mailhook_ack_duration_seconds", unitName: "", helpText: "Time from a webhook request's arrival to its acknowledgement (rows committed)."),
            buckets: [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(3)])
        pipelineDuration = registry.makeDurationHistogram(
            descriptor: .init(metricName: "mailhook_pipeline_duration_seconds", unitName: "", helpText: "Time one email spends in the pipeline (one attempt)."),
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                      .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60)])
        inboxDepth = registry.makeGauge(descriptor: .init(metricName: "mailhook_inbox_depth", unitName: "", helpText: "Inbox rows pending or in progress (counted at most every 5 s, up to 1,000,000)."))
    }

    private func counter(_ name: String, _ labels: [(String, String)], help: String) -> Counter {
        let key = CounterKey(name: name, labels: labels.map(\.1))
        return counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = registry.makeCounter(descriptor: .init(metricName: name, unitName: "", helpText: help), labels: labels)
            cache[key] = made
            return made
        }
    }

    func request(route: String, method: String, status: Int) {
        counter("mailhook_http_requests_total", [("route", route), ("method", method), ("status", String(status))],
                help: "HTTP requests by route, method and status.").increment()
    }

    func notification(source: String, outcome: NotificationOutcome, count: Int = 1) {
        guard count > 0 else { return }
        counter("mailhook_notifications_total", [("source", source), ("outcome", outcome.rawValue)],
                help: "Notifications and events by source and outcome.").increment(by: Int64(count))
    }

    func rejection(source: String, reason: String, count: Int = 1) {
        guard count > 0 else { return }
        counter("mailhook_rejections_total", [("source", source), ("reason", reason)],
                help: "Rejected notifications and events by reason.").increment(by: Int64(count))
        notification(source: source, outcome: .rejected, count: count)
    }

    func storeError(operation: String) {
        counter("mailhook_store_errors_total", [("operation", operation)], help: "Store operations that failed.").increment()
    }

    func recordAck(since start: ContinuousClock.Instant) {
        ackLatency.record(ContinuousClock.now - start)
    }

    func setInboxDepth(_ depth: Int) {
        inboxDepth.set(Double(depth))
    }

    // MARK: Pipeline

    /// An email processed to the end, by routing decision (`auto_respond`, `escalate`…).
    func processed(decision: RoutingDecision) {
        processed(label: decision.rawValue.lowercased())
    }

    /// An inbox row that ended without a decision, by its end state (`filtered`, `gone`…).
    func processed(status: InboxStatus) {
        processed(label: status.rawValue)
    }

    private func processed(label: String) {
        counter("mailhook_pipeline_emails_total", [("outcome", label)], help: "Emails through the pipeline by routing decision or end state.").increment()
    }

    /// A pipeline attempt that failed at `stage` (it is retried, or dead-lettered after pipeline.maxAttempts).
    func pipelineFailure(stage: PipelineStage) {
        counter("mailhook_pipeline_failures_total", [("stage", stage.rawValue)], help: "Failed pipeline attempts by stage.").increment()
    }

    /// A classification that came from the fallback because the LLM failed.
    func classifierFallback() {
        counter("mailhook_classifier_fallbacks_total", [], help: "Classifications made by the fallback after the LLM failed.").increment()
    }

    func action(_ action: ActionKind, mode: ActionMode, outcome: ActionStatus) {
        counter("mailhook_actions_total", [("action", action.rawValue), ("mode", mode.rawValue), ("outcome", outcome.rawValue)],
                help: "External actions by kind, mode (live, dry-run) and outcome.").increment()
    }

    func recordPipeline(_ duration: Duration) {
        pipelineDuration.record(duration)
    }

    public func emit() -> String { registry.emitToString() }
}
