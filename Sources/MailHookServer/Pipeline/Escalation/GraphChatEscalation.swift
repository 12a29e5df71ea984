import Foundation
import MailHookCore
import MailHookGraph
import MailHookStore

/// `teams.mode: graph-chat`: a group chat named after the escalation with the people who should
/// own it, then the summary posted into it by the delegated account. A chat created just before
/// a crash is found again by its topic rather than created twice.
struct GraphChatEscalation: EscalationStrategy {
    let executor: ActionExecutor
    let graph: GraphActions
    let store: any PipelineStore
    let graphBaseURL: String

    func escalate(_ e: Escalation) async throws -> ActStage.Acted {
        // The delegated account posts the message, so it must be a member of the chat.
        var members = e.members
        if executor.live, let client = graph.graph, let tokens = graph.delegatedTokens {
            let me = try await client.me(delegatedTokens: tokens)
            let myName = (me.userPrincipalName ?? me.id).lowercased()
            if !members.contains(myName) { members.append(myName) }
        }
        let create = GraphClient.createChatRequest(topic: e.topic, members: members, graphBaseURL: graphBaseURL)
        // Without Graph credentials there is no chat to create: the escalation is recorded, not lost in retries.
        let noGraph = graph.graph == nil
        let topic = e.topic
        let chat = try await executor.run(
            .teamsChat, request: create.recorded, context: e.context, recordOnly: noGraph,
            reconcile: { [graph] _ in
                guard let client = graph.graph, let tokens = graph.delegatedTokens else { return nil }
                return try await client.chat(topic: topic, delegatedTokens: tokens).map {
                    .object(["id": .string($0.id), "webUrl": $0.webUrl.map(JSONValue.string) ?? .null, "reconciled": .bool(true)])
                }
            },
            call: graph.call(create, mailbox: nil))
        let result = chat.result.flatMap { try? JSONValue.parse(Array($0.utf8)) }
        let chatId = result?["id"]?.stringValue ?? "dry-run:\(e.topic)"
        // The message carries MailHook's reference, so an interrupted post is found again, not repeated.
        let marker = ActionMarker.reference(for: "\(e.email.id)|\(ActionKind.teamsMessage.rawValue)")
        let message = GraphClient.chatMessageRequest(chatId: chatId, html: e.summary.html + "<p><small>MailHook ref \(marker)</small></p>")
        let posted = try await executor.run(
            .teamsMessage, request: message.recorded, context: e.context, recordOnly: noGraph,
            reconcile: { [graph] _ in
                guard let client = graph.graph, let tokens = graph.delegatedTokens else { return nil }
                return try await client.chatMessageExists(chatId: chatId, marker: marker, delegatedTokens: tokens)
                    ? .object(["reconciled": .string("found in the chat")]) : nil
            },
            call: graph.call(message, mailbox: nil))
        let record = e.record(teamId: chatId, members: members, url: result?["webUrl"]?.stringValue)
        try await store.saveEscalation(record)
        return ActStage.Acted(
            taken: chat.mode == .live ? .teamsChatCreated : .teamsChatRecorded, escalationId: record.id, records: [chat, posted])
    }
}
