import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookLLM
import MailHookStore

/// The classification-routing pipeline for one inbox row:
/// resolve → filter → sanitise → classify → route → act → record.
///
/// Each stage change is written to `processing_results` (received → classifying →
/// responding | escalating → completed | failed) with per-stage timings. A retried row reuses the
/// stored classification, so its routing decision and its actions' idempotency keys do not change,
/// and completed actions are never repeated (``ActionExecutor``).
public struct PipelineProcessor: InboxProcessor {
    let store: any MailHookStore
    let resolver: MessageResolver
    let classifier: any EmailClassifier
    let replyWriter: any ReplyWriter
    let policy: RoutingPolicy
    let executor: ActionExecutor
    let teams: MailHookConfiguration.Teams
    let planner: EscalationPlanner
    let graphBaseURL: String
    let sanitizer = Sanitizer()
    let metrics: ServerMetrics
    let logger: Logger
    let now: @Sendable () -> Date

    /// Items naming a Graph message wait (pending) until Graph is configured; then they are fetched.
    public var kinds: [NewInboxItem.Kind] {
        resolver.graph == nil ? [.canonicalEvent, .imapBridgeEvent] : [.graphNotification, .deltaMessage, .referenceEvent, .canonicalEvent, .imapBridgeEvent]
    }

    /// The stage names used in `processing_results.error_stage` and the timings.
    enum Stage: String, Sendable {
        case resolve, filter, sanitise, classify, route, act, record
    }

    struct StageError: Error, CustomStringConvertible {
        let stage: Stage
        let underlying: any Error
        var description: String { "\(stage.rawValue): \(underlying)" }
    }

    public func process(_ row: InboxRow) async throws -> ProcessingOutcome {
        let clock = ContinuousClock()
        let begin = clock.now
        let startedAt = now()
        var timings: [(Stage, Int)] = []
        func lap(_ stage: Stage, since: ContinuousClock.Instant) { timings.append((stage, Self.ms(clock.now - since))) }

        // resolve + filter
        var mark = clock.now
        let resolution: MessageResolver.Resolution
        do {
            resolution = try await resolver.resolve(row, receivedAt: startedAt)
        } catch {
            metrics.pipelineFailure(stage: Stage.resolve.rawValue)
            throw error
        }
        lap(.resolve, since: mark)
        guard case .email(let email, let graphMessage) = resolution else {
            if case .finished(let status, let note) = resolution {
                metrics.processed(outcome: status)
                return .finished(status: status, note: note)
            }
            return .finished(status: "completed")
        }
        try await store.recordEmail(email, inboxId: row.id, source: row.source)

        var record = ProcessingRecord(id: "proc-\(email.id)", emailId: email.id, status: "classifying", startedAt: startedAt,
                                      retryCount: max(0, row.attempts - 1))
        var stage = Stage.sanitise
        var context: [String: JSONValue] = ["inboxId": .number(Double(row.id)), "attempt": .number(Double(row.attempts))]
        do {
            // sanitise
            mark = clock.now
            let subject = sanitizer.sanitize(email.subject)
            let body = sanitizer.sanitize(email.bodyText)
            var pii: [String: JSONValue] = [:]
            for kind in Sanitizer.Kind.allCases {
                let count = subject.count(kind) + body.count(kind)
                if count > 0 { pii[kind.rawValue] = .number(Double(count)) }
            }
            context["pii"] = .object(pii)
            let input = ClassifierInput(subject: subject.text, body: body.text, senderDomain: EmailFilter.domain(of: email.from.address))
            lap(.sanitise, since: mark)
            try await store.saveProcessing(record, emailStatus: "classifying")

            // classify (a retry reuses the stored answer)
            stage = .classify
            mark = clock.now
            let classification: Classification
            if let stored = try await store.classification(emailId: email.id) {
                classification = stored
                context["classification"] = .string("reused from an earlier attempt")
            } else {
                let outcome = await classifier.classify(input)
                classification = outcome.classification
                if outcome.fellBack {
                    metrics.classifierFallback()
                    context["classifierFallback"] = .bool(true)
                    // The email goes on; the LLM's failure is kept for operators.
                    record.errorMessage = "classifier fell back: \(outcome.failure ?? "unknown failure")"
                    record.errorStage = Stage.classify.rawValue
                }
                if let failure = outcome.failure { context["classifierFailure"] = .string(failure) }
                try await store.saveClassification(classification, emailId: email.id)
            }
            lap(.classify, since: mark)
            record.classificationTimeMs = timings.last?.1

            // route
            stage = .route
            mark = clock.now
            let routing = policy.route(classification)
            lap(.route, since: mark)
            record.confidenceRouting = Self.routingJSON(routing, classification: classification).jsonText()
            record.status = routing.decision == .escalate ? "escalating" : "responding"
            try await store.saveProcessing(record, emailStatus: record.status)

            // act
            stage = .act
            mark = clock.now
            let ctx = ActionExecutor.Context(inboxId: row.id, emailId: email.id, attempt: row.attempts)
            let acted = try await act(routing.decision, email: email, graphMessage: graphMessage, input: input,
                                      classification: classification, routing: routing, context: ctx)
            lap(.act, since: mark)
            record.actionTaken = acted.summary
            record.responseSent = acted.responseSent
            record.escalationCreated = acted.escalationId != nil
            record.escalationId = acted.escalationId
            record.responseGenerationTimeMs = acted.replyMs
            context["actions"] = .array(acted.records.map { .object(["action": .string($0.action), "mode": .string($0.mode), "status": .string($0.status)]) })

            // record
            stage = .record
            let total = clock.now - begin
            record.status = "completed"
            record.completedAt = now()
            record.processingTimeMs = Self.ms(total)
            context["stages"] = Self.stagesJSON(timings)
            record.context = JSONValue.object(context).jsonText()
            let signature = SubjectSignature.signature(of: email.subject)
            let pattern = PatternObservation(
                patternId: SubjectSignature.patternId(of: signature), signature: signature, description: "Subject: \(signature)",
                emailId: email.id, category: classification.category.rawValue, senderDomain: EmailFilter.domain(of: email.from.address),
                seenAt: email.receivedAt, automationPotential: Self.automationPotential(routing.decision), confidence: classification.confidence)
            var stageMetrics = timings.map {
                PerformanceMetric(type: "stage_time", name: $0.0.rawValue, category: "pipeline", value: Double($0.1), unit: "ms", emailId: email.id)
            }
            stageMetrics.append(PerformanceMetric(
                type: "processing_time", name: "total", category: "pipeline", value: Double(Self.ms(total)), unit: "ms", emailId: email.id,
                metadata: JSONValue.object(["decision": .string(routing.decision.rawValue), "model": .string(classification.modelUsed)]).jsonText()))
            try await store.completeProcessing(ProcessingCompletion(processing: record, emailStatus: "completed", pattern: pattern, metrics: stageMetrics))
            metrics.processed(outcome: routing.decision.rawValue.lowercased())
            metrics.recordPipeline(clock.now - begin)
            logger.info("email processed", metadata: [
                "mailhook.email": "\(email.id)", "mailhook.category": "\(classification.category.rawValue)",
                "mailhook.confidence": "\(Int(classification.confidence))", "mailhook.decision": "\(routing.decision.rawValue)",
                "mailhook.action": "\(acted.summary)", "mailhook.ms": "\(Self.ms(total))",
            ])
            return .finished(status: "completed")
        } catch {
            metrics.pipelineFailure(stage: stage.rawValue)
            record.status = "failed"
            record.errorStage = stage.rawValue
            record.errorMessage = String(String(describing: error).prefix(1000))
            context["stages"] = Self.stagesJSON(timings)
            record.context = JSONValue.object(context).jsonText()
            // Best effort: the dispatcher retries the row whatever happens here.
            try? await store.saveProcessing(record, emailStatus: "failed")
            throw StageError(stage: stage, underlying: error)
        }
    }

    // MARK: Acting

    struct Acted: Sendable {
        var summary: String
        var responseSent = false
        var escalationId: String?
        var replyMs: Int?
        var records: [ActionRecord] = []
    }

    func act(
        _ decision: RoutingDecision, email: EmailMessage, graphMessage: Bool, input: ClassifierInput, classification: Classification,
        routing: RoutingResult, context: ActionExecutor.Context
    ) async throws -> Acted {
        // Mail actions need the message in a mailbox; third-party events get the decision recorded.
        let mailbox = graphMessage ? email.mailbox : nil
        let recordOnly = mailbox == nil
        let box = mailbox ?? "(no mailbox)"
        switch decision {
        case .autoRespond, .suggestResponse:
            let clock = ContinuousClock()
            let start = clock.now
            let text = await replyWriter.reply(to: input, classification: classification)
            let replyMs = Self.ms(clock.now - start)
            let draft = decision == .suggestResponse
            let request = draft
                ? GraphClient.draftReplyRequest(mailbox: box, messageId: email.id, comment: text)
                : GraphClient.replyRequest(mailbox: box, messageId: email.id, comment: text)
            var reconcile: ActionExecutor.Reconcile?
            if !draft {
                // A reply is the one action that must never go out twice: look in Sent Items first.
                reconcile = { [executor] record in
                    guard let graph = executor.graph, let mailbox, let conversation = email.conversationId else {
                        // Nothing to check against: do not risk a second reply.
                        return .object(["reconciled": .string("unverifiable; not sent again")])
                    }
                    let since = record.createdAt ?? email.receivedAt
                    return try await graph.sentReplyExists(mailbox: mailbox, conversationId: conversation, since: since)
                        ? .object(["reconciled": .string("found in Sent Items")]) : nil
                }
            }
            let done = try await executor.run(draft ? "draft" : "reply", request: request.recorded, context: context, recordOnly: recordOnly,
                                              reconcile: reconcile, call: executor.graphCall(request, mailbox: mailbox))
            let live = done.mode == "live"
            return Acted(summary: draft ? (live ? "draft_created" : "draft_recorded") : (live ? "reply_sent" : "reply_recorded"),
                         responseSent: live && !draft, replyMs: replyMs, records: [done])
        case .humanReview:
            let categories = Self.merge(email.categories, ["MailHook: Review", "MailHook: \(classification.category.rawValue)"])
            let request = GraphClient.flagRequest(mailbox: box, messageId: email.id, categories: categories)
            let done = try await executor.run("flag", request: request.recorded, context: context, recordOnly: recordOnly,
                                              call: executor.graphCall(request, mailbox: mailbox))
            return Acted(summary: done.mode == "live" ? "flagged_for_review" : "review_recorded", records: [done])
        case .escalate:
            return try await escalate(email: email, mailbox: mailbox, input: input, classification: classification, routing: routing, context: context)
        }
    }

    func escalate(
        email: EmailMessage, mailbox: String?, input: ClassifierInput, classification: Classification, routing: RoutingResult,
        context: ActionExecutor.Context
    ) async throws -> Acted {
        let members = planner.members(category: classification.category, requiredExpertise: classification.requiredExpertise)
        let topic = EscalationPlanner.topic(category: classification.category, receivedAt: email.receivedAt, subject: email.subject)
        let summary = EscalationSummary(
            subject: input.subject, sender: email.from.address, category: classification.category, urgency: classification.urgency,
            confidence: classification.confidence, reason: routing.explanation, suggestedAction: classification.suggestedAction,
            excerpt: Sanitizer.truncate(input.body, toCharacters: 400), link: nil)
        switch teams.mode {
        case "graph-chat":
            // The delegated account posts the message, so it must be a member of the chat.
            var chatMembers = members
            if executor.live, let graph = executor.graph, let tokens = executor.delegatedTokens {
                let me = try await graph.me(delegatedTokens: tokens)
                let myName = (me.userPrincipalName ?? me.id).lowercased()
                if !chatMembers.contains(myName) { chatMembers.append(myName) }
            }
            let create = GraphClient.createChatRequest(topic: topic, members: chatMembers, graphBaseURL: graphBaseURL)
            // Without Graph credentials there is no chat to create: the escalation is recorded, not lost in retries.
            let noGraph = executor.graph == nil
            let chat = try await executor.run(
                "teams-chat", request: create.recorded, context: context, recordOnly: noGraph,
                reconcile: { [executor] _ in
                    guard let graph = executor.graph, let tokens = executor.delegatedTokens else { return nil }
                    return try await graph.chat(topic: topic, delegatedTokens: tokens).map {
                        .object(["id": .string($0.id), "webUrl": $0.webUrl.map(JSONValue.string) ?? .null, "reconciled": .bool(true)])
                    }
                },
                call: executor.graphCall(create, mailbox: nil))
            let result = chat.result.flatMap { try? JSONValue.parse(Array($0.utf8)) }
            let chatId = result?["id"]?.stringValue ?? "dry-run:\(topic)"
            let message = GraphClient.chatMessageRequest(chatId: chatId, html: summary.html)
            let posted = try await executor.run("teams-message", request: message.recorded, context: context, recordOnly: noGraph,
                                                call: executor.graphCall(message, mailbox: nil))
            let escalation = EscalationRecord(
                id: "esc-\(email.id)", teamId: chatId, emailId: email.id, teamName: topic, teamDescription: routing.explanation,
                members: chatMembers, ownerEmail: chatMembers.first, teamsGroupUrl: result?["webUrl"]?.stringValue, channelId: nil, messageCount: 1)
            try await store.saveEscalation(escalation)
            return Acted(summary: chat.mode == "live" ? "teams_chat_created" : "teams_chat_recorded", escalationId: escalation.id, records: [chat, posted])
        case "workflow-webhook":
            let card = summary.adaptiveCardMessage(topic: topic, members: members)
            let request: JSONValue = .object(["method": .string("POST"), "url": .string("(teams.workflowUrl)"), "body": card])
            let posted = try await executor.run("workflow-card", request: request, context: context, call: executor.workflowCall(card))
            let escalation = EscalationRecord(
                id: "esc-\(email.id)", teamId: "card:\(email.id)", emailId: email.id, teamName: topic, teamDescription: routing.explanation,
                members: members, ownerEmail: members.first, teamsGroupUrl: nil, channelId: nil, messageCount: 1)
            try await store.saveEscalation(escalation)
            return Acted(summary: posted.mode == "live" ? "workflow_card_posted" : "workflow_card_recorded", escalationId: escalation.id, records: [posted])
        default:
            // Teams is off: the message is flagged so people still see it.
            let categories = Self.merge(email.categories, ["MailHook: Escalated", "MailHook: \(classification.category.rawValue)"])
            let request = GraphClient.flagRequest(mailbox: mailbox ?? "(no mailbox)", messageId: email.id, categories: categories)
            let done = try await executor.run("flag", request: request.recorded, context: context, recordOnly: mailbox == nil,
                                              call: executor.graphCall(request, mailbox: mailbox))
            return Acted(summary: done.mode == "live" ? "flagged_for_escalation" : "escalation_recorded", records: [done])
        }
    }

    // MARK: Helpers

    static func merge(_ existing: [String], _ added: [String]) -> [String] {
        existing + added.filter { new in !existing.contains { $0.caseInsensitiveCompare(new) == .orderedSame } }
    }

    static func automationPotential(_ decision: RoutingDecision) -> Double {
        switch decision {
        case .autoRespond: 1
        case .suggestResponse: 0.6
        case .humanReview: 0.3
        case .escalate: 0
        }
    }

    static func routingJSON(_ routing: RoutingResult, classification: Classification) -> JSONValue {
        .object([
            "decision": .string(routing.decision.rawValue), "rule": .string(routing.rule.rawValue),
            "threshold": routing.threshold.map(JSONValue.number) ?? .null, "explanation": .string(routing.explanation),
            "confidence": .number(classification.confidence), "category": .string(classification.category.rawValue),
            "urgency": .string(classification.urgency.rawValue),
        ])
    }

    static func stagesJSON(_ timings: [(Stage, Int)]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (stage, ms) in timings { out[stage.rawValue] = .number(Double(ms)) }
        return .object(out)
    }

    static func ms(_ duration: Duration) -> Int { Int(duration / .milliseconds(1)) }
}
