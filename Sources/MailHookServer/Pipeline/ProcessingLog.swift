import Foundation
import MailHookCore
import MailHookStore

/// The bookkeeping of one pipeline attempt: the `processing_results` row as it moves through
/// the stages, per-stage timings and the context JSON operators read.
struct ProcessingLog: Sendable {
    /// `processing_results.processing_context`.
    struct Context: Codable, Sendable, Equatable {
        struct ActionSummary: Codable, Sendable, Equatable {
            var action: ActionKind
            var mode: ActionMode
            var status: ActionStatus
        }

        var inboxId: Int64
        var attempt: Int
        /// Personal data removed, per kind (counts only).
        var pii: [String: Int]?
        var classification: String?
        var classifierFallback: Bool?
        var classifierFailure: String?
        var actions: [ActionSummary]?
        /// Milliseconds per stage.
        var stages: [String: Int]?
    }

    /// `processing_results.confidence_routing`.
    struct RoutingRecord: Codable, Sendable, Equatable {
        var decision: RoutingDecision
        var rule: String
        var threshold: Double?
        var explanation: String
        var confidence: Double
        var category: Category
        var urgency: Urgency
        /// Why AUTO_RESPOND became SUGGEST_RESPONSE, when a safety check said so.
        var downgrade: Downgrade?

        init(_ routing: RoutingResult, classification: Classification) {
            decision = routing.decision
            rule = routing.rule.rawValue
            threshold = routing.threshold
            explanation = routing.explanation
            confidence = classification.confidence
            category = classification.category
            urgency = classification.urgency
            downgrade = routing.downgrade
        }
    }

    private let clock = ContinuousClock()
    let begin: ContinuousClock.Instant
    var record: ProcessingRecord
    var context: Context
    private(set) var timings: [(stage: PipelineStage, ms: Int)] = []
    /// The stage running now (the one a failure is charged to).
    private(set) var stage = PipelineStage.resolve
    private var stageStart: ContinuousClock.Instant

    init(row: InboxRow, emailId: String, startedAt: Date, begin: ContinuousClock.Instant) {
        self.begin = begin
        self.stageStart = begin
        record = ProcessingRecord(id: "proc-\(emailId)", emailId: emailId, status: .classifying, startedAt: startedAt,
                                  retryCount: max(0, row.attempts - 1))
        context = Context(inboxId: row.id, attempt: row.attempts)
    }

    /// Starts timing `stage`.
    mutating func enter(_ stage: PipelineStage) {
        self.stage = stage
        stageStart = clock.now
    }

    /// Ends the current stage's timing; returns its milliseconds.
    @discardableResult
    mutating func lap() -> Int {
        let ms = (clock.now - stageStart).wholeMilliseconds
        timings.append((stage, ms))
        return ms
    }

    /// Adds a stage timed before this log existed (resolve and filter run before the email is known).
    mutating func add(_ stage: PipelineStage, ms: Int) {
        timings.append((stage, ms))
    }

    var totalMs: Int { (clock.now - begin).wholeMilliseconds }

    /// The context with the timings so far, as stored.
    mutating func contextJSON() -> String {
        context.stages = Dictionary(timings.map { ($0.stage.rawValue, $0.ms) }, uniquingKeysWith: { first, _ in first })
        return JSONWriter.text(context)
    }

    /// Marks the attempt failed at the current stage.
    mutating func fail(_ error: any Error) {
        record.status = .failed
        record.errorStage = stage
        record.errorMessage = String(describing: error).clipped(to: 1000)
        record.context = contextJSON()
    }
}
