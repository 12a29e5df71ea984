import Foundation
import MailHookCore
import MailHookGraph
import MailHookStore

/// Stage 6, act: the one action the routing decision calls for, exactly once (``ActionExecutor``).
/// AUTO_RESPOND replies, SUGGEST_RESPONSE drafts, HUMAN_REVIEW flags, ESCALATE goes to the
/// configured ``EscalationStrategy``. Mail actions need the message in a mailbox; for
/// third-party events the decision is recorded instead.
struct ActStage: Sendable {
    let executor: ActionExecutor
    let graph: GraphActions
    let replyWriter: any ReplyWriter
    let escalation: any EscalationStrategy
    let planner: EscalationPlanner
    let replyCheck: ReplyCheck

    /// The path placeholder recorded for an action on an email that lives in no mailbox.
    static let noMailbox = "(no mailbox)"

    struct Acted: Sendable {
        var taken: ActionTaken
        var responseSent = false
        var escalationId: String?
        var replyMs: Int?
        var records: [ActionRecord] = []
        /// Set when the written reply failed its check and became a draft.
        var downgrade: Downgrade?
        /// Outcomes to record with the email's completion (``ActionExecutor/Executed``).
        var pending: [ActionOutcome] = []
    }

    struct Input: Sendable {
        var email: EmailMessage
        var graphMessage: Bool
        var classifierInput: ClassifierInput
        var classification: Classification
        var routing: RoutingResult
        var context: ActionExecutor.Context
    }

    func run(_ a: Input) async throws -> Acted {
        let mailbox = a.graphMessage ? a.email.mailbox : nil
        switch a.routing.decision {
        case .autoRespond, .suggestResponse:
            return try await reply(a, mailbox: mailbox, draft: a.routing.decision == .suggestResponse)
        case .humanReview:
            let categories = Self.merge(a.email.categories, ["MailHook: Review", "MailHook: \(a.classification.category.rawValue)"])
            let request = GraphClient.flagRequest(mailbox: mailbox ?? Self.noMailbox, messageId: a.email.id, categories: categories)
            let done = try await executor.perform(.flag, request: request.recorded, context: a.context, recordOnly: mailbox == nil,
                                                  deferOutcome: true, call: graph.call(request, mailbox: mailbox))
            return Acted(taken: done.record.mode == .live ? .flaggedForReview : .reviewRecorded, records: [done.record], pending: done.pending.map { [$0] } ?? [])
        case .escalate:
            let c = a.classification
            let summary = EscalationSummary(
                subject: a.classifierInput.subject, sender: a.email.from.address, category: c.category, urgency: c.urgency,
                confidence: c.confidence, reason: a.routing.explanation, suggestedAction: c.suggestedAction,
                excerpt: Sanitizer.truncate(a.classifierInput.body, toCharacters: 400), link: nil)
            return try await escalation.escalate(Escalation(
                email: a.email, mailbox: mailbox, classification: c, routing: a.routing,
                members: planner.members(category: c.category, requiredExpertise: c.requiredExpertise),
                topic: EscalationPlanner.topic(category: c.category, receivedAt: a.email.receivedAt, subject: a.email.subject),
                summary: summary, context: a.context))
        }
    }

    private func reply(_ a: Input, mailbox: String?, draft asked: Bool) async throws -> Acted {
        let clock = ContinuousClock()
        let start = clock.now
        let text = await replyWriter.reply(to: a.classifierInput, classification: a.classification)
        let replyMs = (clock.now - start).wholeMilliseconds
        // A reply nobody reads before it goes out must not carry what the sender could have planted.
        var downgrade: Downgrade?
        if !asked, let problem = replyCheck.violation(reply: text) {
            downgrade = Downgrade(.replyContent, problem)
        }
        let draft = asked || downgrade != nil
        let box = mailbox ?? Self.noMailbox
        let marker = ActionMarker.reference(for: "\(a.email.id)|\(ActionKind.reply.rawValue)")
        let request = draft
            ? GraphClient.draftReplyRequest(mailbox: box, messageId: a.email.id, comment: text)
            : GraphClient.replyRequest(
                mailbox: box, messageId: a.email.id, comment: text,
                headers: [("X-Auto-Response-Suppress", "All"), (ActionMarker.replyHeader, marker)])
        var reconcile: ActionExecutor.Reconcile?
        if !draft {
            // A reply is the one action that must never go out twice: look in Sent Items first.
            let email = a.email
            reconcile = { [graph] record in
                guard let client = graph.graph, let mailbox, let conversation = email.conversationId else {
                    // Nothing to check against: do not risk a second reply.
                    return .object(["reconciled": .string("unverifiable; not sent again")])
                }
                let since = record.createdAt ?? email.receivedAt
                return try await client.sentReplyExists(mailbox: mailbox, conversationId: conversation, since: since)
                    ? .object(["reconciled": .string("found in Sent Items")]) : nil
            }
        }
        let done = try await executor.perform(draft ? .draft : .reply, request: request.recorded, context: a.context, recordOnly: mailbox == nil,
                                              reconcile: reconcile, deferOutcome: true, call: graph.call(request, mailbox: mailbox))
        let live = done.record.mode == .live
        let taken: ActionTaken = draft ? (live ? .draftCreated : .draftRecorded) : (live ? .replySent : .replyRecorded)
        return Acted(taken: taken, responseSent: live && !draft, replyMs: replyMs, records: [done.record], downgrade: downgrade,
                     pending: done.pending.map { [$0] } ?? [])
    }

    /// Existing categories plus ours, without repeating one (case-insensitively).
    static func merge(_ existing: [String], _ added: [String]) -> [String] {
        existing + added.filter { new in !existing.contains { $0.caseInsensitiveCompare(new) == .orderedSame } }
    }
}
