import MailHookCore
import MailHookGraph
import MailHookStore

/// `teams.mode: off`: no Teams, so the message is flagged `MailHook: Escalated` for people to see.
struct FlagEscalation: EscalationStrategy {
    let executor: ActionExecutor
    let graph: GraphActions

    func escalate(_ e: Escalation) async throws -> ActStage.Acted {
        let categories = ActStage.merge(e.email.categories, ["MailHook: Escalated", "MailHook: \(e.classification.category.rawValue)"])
        let request = GraphClient.flagRequest(mailbox: e.mailbox ?? ActStage.noMailbox, messageId: e.email.id, categories: categories)
        let done = try await executor.perform(.flag, request: request.recorded, context: e.context, recordOnly: e.mailbox == nil,
                                              deferOutcome: true, call: graph.call(request, mailbox: e.mailbox))
        return ActStage.Acted(
            taken: done.record.mode == .live ? .flaggedForEscalation : .escalationRecorded, records: [done.record], pending: done.pending.map { [$0] } ?? [])
    }
}
