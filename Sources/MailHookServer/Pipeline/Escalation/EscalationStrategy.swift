import Foundation
import MailHookCore
import MailHookStore

/// How an ESCALATE decision reaches people; one strategy per `teams.mode`.
protocol EscalationStrategy: Sendable {
    func escalate(_ escalation: Escalation) async throws -> ActStage.Acted
}

/// What every strategy gets: the email, who should be pulled in and what to tell them.
struct Escalation: Sendable {
    var email: EmailMessage
    /// The mailbox the message lives in, or nil for a third-party event (nothing to act on in Graph).
    var mailbox: String?
    var classification: Classification
    var routing: RoutingResult
    var members: [String]
    var topic: String
    var summary: EscalationSummary
    var context: ActionExecutor.Context

    /// The `escalation_teams` row for a chat or card with this team id.
    func record(teamId: String, members: [String], url: String?) -> EscalationRecord {
        EscalationRecord(
            id: "esc-\(email.id)", teamId: teamId, emailId: email.id, teamName: topic, teamDescription: routing.explanation,
            members: members, ownerEmail: members.first, teamsGroupUrl: url, channelId: nil, messageCount: 1)
    }
}

extension MailHookConfiguration.Teams {
    /// The strategy `teams.mode` names.
    func strategy(executor: ActionExecutor, graph: GraphActions, workflow: WorkflowPoster, store: any PipelineStore, graphBaseURL: String)
        -> any EscalationStrategy
    {
        switch mode {
        case .graphChat: GraphChatEscalation(executor: executor, graph: graph, store: store, graphBaseURL: graphBaseURL)
        case .workflowWebhook: WorkflowCardEscalation(executor: executor, poster: workflow, store: store)
        case .off: FlagEscalation(executor: executor, graph: graph)
        }
    }
}
