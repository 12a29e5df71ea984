import Foundation
import MailHookCore
import MailHookStore

/// Stage 7, record: ends the email's processing in one transaction — the action's outcome, the
/// processing row, the email's status, its subject pattern, the per-stage metrics and the inbox row.
struct RecordStage: Sendable {
    let store: any PipelineStore

    func complete(
        _ log: inout ProcessingLog, email: EmailMessage, classification: Classification, routing: RoutingResult, actions: [ActionOutcome],
        inbox: InboxLease?, completedAt: Date
    ) async throws {
        let total = log.totalMs
        log.record.status = .completed
        log.record.completedAt = completedAt
        log.record.processingTimeMs = total
        log.record.context = log.contextJSON()
        let signature = SubjectSignature.signature(of: email.subject)
        let pattern = PatternObservation(
            patternId: SubjectSignature.patternId(of: signature), signature: signature, description: "Subject: \(signature)",
            emailId: email.id, category: classification.category, senderDomain: EmailFilter.domain(of: email.from.address),
            seenAt: email.receivedAt, automationPotential: Self.automationPotential(routing.decision), confidence: classification.confidence)
        var metrics = log.timings.map {
            PerformanceMetric(type: .stageTime, name: $0.stage.rawValue, category: "pipeline", value: Double($0.ms), unit: "ms", emailId: email.id)
        }
        metrics.append(PerformanceMetric(
            type: .processingTime, name: "total", category: "pipeline", value: Double(total), unit: "ms", emailId: email.id,
            metadata: JSONWriter.text(["decision": routing.decision.rawValue, "model": classification.modelUsed])))
        try await store.completeProcessing(ProcessingCompletion(
            processing: log.record, emailStatus: .completed, pattern: pattern, metrics: metrics, actions: actions, inbox: inbox))
    }

    /// How much of this email's kind of mail could be answered without a person.
    static func automationPotential(_ decision: RoutingDecision) -> Double {
        switch decision {
        case .autoRespond: 1
        case .suggestResponse: 0.6
        case .humanReview: 0.3
        case .escalate: 0
        }
    }
}
