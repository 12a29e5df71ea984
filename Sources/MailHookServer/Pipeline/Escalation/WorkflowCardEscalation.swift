import MailHookCore
import MailHookStore

/// `teams.mode: workflow-webhook`: an Adaptive Card POSTed to a Teams Workflows URL, which posts
/// it to a chat or channel. The URL is a secret and is never recorded.
struct WorkflowCardEscalation: EscalationStrategy {
    let executor: ActionExecutor
    let poster: WorkflowPoster
    let store: any PipelineStore

    func escalate(_ e: Escalation) async throws -> ActStage.Acted {
        let card = e.summary.adaptiveCardMessage(topic: e.topic, members: e.members)
        let request: JSONValue = .object(["method": .string("POST"), "url": .string("(teams.workflowUrl)"), "body": card])
        // A workflow cannot be asked what it received: a card whose post was interrupted is not
        // sent again (at most once; the escalation row and the action record still say it).
        let posted = try await executor.run(
            .workflowCard, request: request, context: e.context,
            reconcile: { _ in .object(["reconciled": .string("unverifiable; not sent again")]) }, call: poster.call(card))
        let record = e.record(teamId: "card:\(e.email.id)", members: e.members, url: nil)
        try await store.saveEscalation(record)
        return ActStage.Acted(
            taken: posted.mode == .live ? .workflowCardPosted : .workflowCardRecorded, escalationId: record.id, records: [posted])
    }
}
