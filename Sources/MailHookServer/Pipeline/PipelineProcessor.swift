import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// The classification-routing pipeline for one inbox row, one stage after another:
/// resolve → filter → sanitise → classify → route → act → record (`Stages/`).
///
/// An email costs three transactions: the decision (email, classification and the processing row
/// `responding` | `escalating`, with the routing), the action record before its call, and the
/// completion (the action's outcome, the processing row `completed` with per-stage timings, the
/// pattern, the metrics and the inbox row). A failure writes the row `failed` instead. A retried
/// row reuses the stored classification, so its routing decision and its actions' idempotency
/// keys do not change, and completed actions are never repeated (``ActionExecutor``).
public struct PipelineProcessor: InboxProcessor {
    let store: any PipelineStore
    let resolve: ResolveStage
    let filter: FilterStage
    let sanitise = SanitiseStage()
    let classify: ClassifyStage
    let route: RouteStage
    let act: ActStage
    let record: RecordStage
    let metrics: ServerMetrics
    let logger: Logger
    let now: @Sendable () -> Date

    /// Items naming a Graph message wait (pending) until Graph is configured; then they are fetched.
    public var kinds: [InboxKind] {
        resolve.graph == nil ? [.canonicalEvent, .imapBridgeEvent] : [.graphNotification, .deltaMessage, .referenceEvent, .canonicalEvent, .imapBridgeEvent]
    }

    struct StageError: WrappingError, CustomStringConvertible {
        let stage: PipelineStage
        let underlying: any Error
        var description: String { "\(stage.rawValue): \(underlying)" }
    }

    public func process(_ row: InboxRow) async throws -> ProcessingOutcome {
        let clock = ContinuousClock()
        let begin = clock.now
        let startedAt = now()

        // resolve + filter: until the email is known there is no processing row to write.
        let resolution: ResolveStage.Resolution
        do {
            resolution = try await resolve.resolve(row, receivedAt: startedAt)
        } catch {
            metrics.pipelineFailure(stage: .resolve)
            throw StageError(stage: .resolve, underlying: error)
        }
        let resolveMs = (clock.now - begin).wholeMilliseconds
        guard case .email(let email, let graphMessage) = resolution else {
            if case .finished(let status, let note) = resolution {
                metrics.processed(status: status)
                return .finished(status: status, note: note)
            }
            return .finished(status: .completed)
        }
        let filterStart = clock.now
        do {
            if let (status, note) = try await filter.verdict(email, graphMessage: graphMessage) {
                metrics.processed(status: status)
                return .finished(status: status, note: note)
            }
        } catch {
            metrics.pipelineFailure(stage: .filter)
            throw StageError(stage: .filter, underlying: error)
        }
        let filterMs = (clock.now - filterStart).wholeMilliseconds

        var log = ProcessingLog(row: row, emailId: email.id, startedAt: startedAt, begin: begin)
        log.add(.resolve, ms: resolveMs)
        log.add(.filter, ms: filterMs)
        do {
            return try await stages(email: email, graphMessage: graphMessage, row: row, log: &log)
        } catch {
            metrics.pipelineFailure(stage: log.stage)
            log.fail(error)
            // Best effort: the dispatcher retries the row whatever happens here.
            try? await store.recordDecision(ProcessingDecision(
                email: email, inboxId: row.id, source: row.source, classification: nil, processing: log.record, emailStatus: .failed))
            throw StageError(stage: log.stage, underlying: error)
        }
    }

    private func stages(email: EmailMessage, graphMessage: Bool, row: InboxRow, log: inout ProcessingLog) async throws -> ProcessingOutcome {
        log.enter(.sanitise)
        let sanitised = sanitise.run(email)
        log.context.pii = sanitised.removed
        log.lap()

        log.enter(.classify)
        let classified = try await classify.run(emailId: email.id, input: sanitised.input)
        if classified.reused { log.context.classification = "reused from an earlier attempt" }
        if classified.fellBack {
            metrics.classifierFallback()
            log.context.classifierFallback = true
            // The email goes on; the LLM's failure is kept for operators.
            log.record.errorMessage = "classifier fell back: \((classified.failure ?? "unknown failure").clipped(to: 500))"
            log.record.errorStage = .classify
        }
        // Kept with every email while the endpoint misbehaves: a bounded piece of what it said.
        if let failure = classified.failure { log.context.classifierFailure = failure.clipped(to: 500) }
        log.record.classificationTimeMs = log.lap()
        let classification = classified.classification

        log.enter(.route)
        var routing = try await route.run(email: email, classification: classification, offline: classified.offline)
        log.lap()
        log.record.confidenceRouting = JSONWriter.text(ProcessingLog.RoutingRecord(routing, classification: classification))
        log.record.status = routing.decision == .escalate ? .escalating : .responding
        log.record.context = log.contextJSON()
        try await store.recordDecision(ProcessingDecision(
            email: email, inboxId: row.id, source: row.source, classification: classified.reused ? nil : classification,
            processing: log.record, emailStatus: log.record.status))

        log.enter(.act)
        let acted = try await act.run(ActStage.Input(
            email: email, graphMessage: graphMessage, classifierInput: sanitised.input, classification: classification, routing: routing,
            context: ActionExecutor.Context(inboxId: row.id, emailId: email.id, attempt: row.attempts, owner: row.leaseOwner)))
        log.lap()
        if let downgrade = acted.downgrade {
            routing = routing.downgraded(downgrade)
            log.record.confidenceRouting = JSONWriter.text(ProcessingLog.RoutingRecord(routing, classification: classification))
        }
        log.record.actionTaken = acted.taken
        log.record.responseSent = acted.responseSent
        log.record.escalationCreated = acted.escalationId != nil
        log.record.escalationId = acted.escalationId
        log.record.responseGenerationTimeMs = acted.replyMs
        log.context.actions = acted.records.map { .init(action: $0.action, mode: $0.mode, status: $0.status) }

        log.enter(.record)
        try await record.complete(
            &log, email: email, classification: classification, routing: routing, actions: acted.pending,
            inbox: row.leaseOwner.map { InboxLease(id: row.id, owner: $0) }, completedAt: now())
        for done in acted.records where acted.pending.contains(where: { $0.idempotencyKey == done.idempotencyKey }) {
            metrics.action(done.action, mode: done.mode, outcome: done.status)
        }
        metrics.processed(decision: routing.decision)
        metrics.recordPipeline(ContinuousClock.now - log.begin)
        logger.info("email processed", metadata: [
            "mailhook.email": "\(email.id)", "mailhook.category": "\(classification.category.rawValue)",
            "mailhook.confidence": "\(classification.confidence)",
            "mailhook.decision": "\(routing.decision.rawValue)", "mailhook.action": "\(acted.taken.rawValue)",
            "mailhook.ms": "\(log.totalMs)",
        ])
        return row.leaseOwner == nil ? .finished(status: .completed) : .recorded
    }
}
