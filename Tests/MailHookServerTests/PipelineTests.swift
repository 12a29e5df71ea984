import AsyncHTTPClient
import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import NIOCore
import Testing

/// The classification-routing pipeline end to end: the real server, the real Graph client and
/// LLM client, a fake Graph and a fake LLM over HTTP on 127.0.0.1.
@Suite("Pipeline")
struct PipelineTests {
    static let mailbox = "it@contoso.example"
    static let token = "pipeline-test-bearer-token-1"
    static let integrations = #"{"webhook_endpoints": [{"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "bearer_token", "token": "\#(token)"}, "mailboxes": ["it@contoso.example"]}]}"#

    /// A server using the fake LLM, live actions and Teams group chats through the fake Graph.
    static func config(
        llm: FakeLLM, graph: FakeGraph?, actions: ActionMode = .live, teams: MailHookConfiguration.Teams? = nil, mailboxes: [String] = [],
        pipeline: @escaping @Sendable (inout MailHookConfiguration.Pipeline) -> Void = { _ in }
    ) -> TestServer.Configure {
        let chosenTeams = teams ?? graph.map {
            MailHookConfiguration.Teams(
                mode: .graphChat, expertiseMapping: ["network": ["net@contoso.example"], "ESCALATION": ["manager@contoso.example"]],
                fallbackMember: "lead@contoso.example", delegatedRefreshToken: Secret($0.delegatedRefreshToken))
        } ?? MailHookConfiguration.Teams(mode: .off)
        let baseURL = llm.baseURL
        return { config in
            config.classifier = .init(provider: .openai, baseUrl: baseURL, apiKey: Secret("llm-key"), model: "gpt-test", timeoutSeconds: 30)
            config.actions.mode = actions
            // The fake mail comes from fabrikam.example: a domain this test server answers by itself.
            config.routing.autoRespondDomains = ["fabrikam.example"]
            config.teams = chosenTeams
            config.pipeline.concurrency = 8
            pipeline(&config.pipeline)
            if !mailboxes.isEmpty { config.graph.mailboxes = mailboxes }
        }
    }

    /// A by-reference event naming a message in the fake Graph's mailbox.
    static func referenceEvent(_ id: String, messageId: String) -> String {
        #"{"id": "\#(id)", "type": "email.received", "graph": {"mailbox": "\#(mailbox)", "messageId": "\#(messageId)"}}"#
    }

    static func post(_ server: TestServer, _ body: String) async throws -> TestServer.Reply {
        try await server.post("/webhooks/email", body: body, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")])
    }

    static func body(_ action: FakeGraph.Action?) -> JSONValue? {
        action.flatMap { try? JSONValue.parse(Array($0.body.utf8)) }
    }

    static func settled(_ server: TestServer) async throws -> Bool {
        try await server.store.inboxRows(limit: 10_000).allSatisfy { !InboxStatus.open.contains($0.status) }
    }

    static func rows(_ server: TestServer, _ table: ReadableTable) async throws -> [JSONValue] {
        try await server.store.tableRows(table, limit: 1000)
    }

    struct Branch: Sendable, CustomStringConvertible {
        let name: String
        let behaviour: FakeLLM.Behaviour
        let decision: String
        /// The Graph actions the fake must see, in order.
        let graphActions: [String]
        var description: String { name }
    }

    static let branches: [Branch] = [
        Branch(name: "auto-respond", behaviour: .good(category: .support, urgency: .medium, confidence: 70, assessed: 92), decision: "AUTO_RESPOND", graphActions: ["reply"]),
        Branch(name: "suggest", behaviour: .good(category: .support, urgency: .medium, confidence: 70, assessed: 70), decision: "SUGGEST_RESPONSE", graphActions: ["createReply"]),
        Branch(name: "review", behaviour: .good(category: .purchasing, urgency: .low, confidence: 50, assessed: 50), decision: "HUMAN_REVIEW", graphActions: ["update"]),
        Branch(name: "escalate", behaviour: .good(category: .escalation, urgency: .high, confidence: 90, assessed: 90), decision: "ESCALATE", graphActions: ["createChat", "chatMessage"]),
    ]

    @Test("a Graph notification is fetched, classified, routed and acted on, and every table is filled (SQLite)", arguments: branches)
    func routingBranchSQLite(branch: Branch) async throws { try await routingBranch(.sqlite, branch: branch) }

    @Test("a Graph notification is fetched, classified, routed and acted on, and every table is filled (PostgreSQL)", .postgres, arguments: branches)
    func routingBranchPostgres(branch: Branch) async throws { try await routingBranch(.postgres, branch: branch) }

    func routingBranch(_ database: TestDatabase, branch: Branch) async throws {
        try await FakeLLM.with { llm in
            llm.mode = branch.behaviour
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: database, configure: Self.config(llm: llm, graph: graph, mailboxes: [Self.mailbox]), graph: graph
                ) { server in
                    try await server.graphSyncStarted()
                    let subscription = try #require(graph.subscriptions.first)
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(
                        subject: "VPN drops every hour (ticket 4711)", fromAddress: "carol@fabrikam.example",
                        body: "Since Monday the VPN drops every hour. My SSN is 123-45-6789.", conversationId: "conv-1", categories: ["Existing"]))
                    #expect(try await graph.notify(subscriptionId: subscription.id, messageId: id) == 202)
                    try await eventually { try await Self.settled(server) && graph.actions.count >= branch.graphActions.count }

                    #expect(graph.actions.map(\.kind) == branch.graphActions)
                    let inbox = try await server.store.inboxRows(limit: 10).filter { $0.kind == .graphNotification }
                    #expect(inbox.map(\.status) == [.completed])
                    let email = try #require(try await Self.rows(server, .emailMessages).first)
                    #expect(email["id"]?.stringValue == id)
                    #expect(email["processing_status"]?.stringValue == "completed")
                    let classification = try #require(try await Self.rows(server, .classificationResults).first)
                    #expect(classification["model_used"]?.stringValue == "gpt-test")
                    #expect(classification["prompt_version"]?.stringValue == PromptTemplates.version)
                    let processing = try #require(try await Self.rows(server, .processingResults).first)
                    #expect(processing["status"]?.stringValue == "completed")
                    let routing = try JSONValue.parse(Array((processing["confidence_routing"]?.stringValue ?? processing["confidence_routing"]?.jsonText() ?? "").utf8))
                    #expect(routing["decision"]?.stringValue == branch.decision)
                    #expect(processing["action_taken"]?.stringValue?.isEmpty == false)
                    let patterns = try await Self.rows(server, .emailPatterns)
                    #expect(patterns.count == 1)
                    #expect(patterns.first?["pattern_signature"]?.stringValue == "vpn drops every hour (ticket <num>)")
                    #expect(try await Self.rows(server, .performanceMetrics).count >= 5)
                    let actions = try await server.store.actionRecords(inboxId: nil)
                    #expect(!actions.isEmpty && actions.allSatisfy { $0.status == .completed && $0.mode == .live })

                    switch branch.decision {
                    case "AUTO_RESPOND", "SUGGEST_RESPONSE":
                        #expect(Self.body(graph.actions.first)?["comment"]?.stringValue == FakeLLM.replyText)
                    case "HUMAN_REVIEW":
                        let message = try #require(graph.message(mailbox: Self.mailbox, id: id))
                        #expect(message.flagStatus == "flagged")
                        #expect(message.categories == ["Existing", "MailHook: Review", "MailHook: PURCHASING"])
                    default:
                        let escalation = try #require(try await Self.rows(server, .escalationTeams).first)
                        let chat = try #require(graph.actions.first)
                        #expect(escalation["team_id"]?.stringValue == chat.resultId)
                        let topic = try #require(Self.body(chat)?["topic"]?.stringValue)
                        #expect(topic.hasPrefix("IT-ESCALATION-"))
                        #expect(topic.count == "IT-ESCALATION-2026-01-01-".count + 8)
                        let members = (Self.body(chat)?["members"]?.arrayValue ?? []).compactMap { $0["user@odata.bind"]?.stringValue }
                        #expect(members.contains { $0.contains("manager@contoso.example") })
                        #expect(members.count >= 2)
                        #expect(graph.actions.last?.delegated == true, "the chat message is posted with the delegated token")
                    }
                    // No planted PII reached the LLM.
                    #expect(llm.requests.allSatisfy { !($0.user ?? "").contains("123-45-6789") })
                }
            }
        }
    }

    @Test("LLM garbage, 500s and timeouts: the local classifier decides, the email completes, the failure is recorded",
          arguments: [FakeLLM.Behaviour.garbage, .status(500), .slow(.seconds(3))])
    func llmFailures(behaviour: FakeLLM.Behaviour) async throws {
        try await FakeLLM.with { llm in
            llm.mode = behaviour
            // The 3 s answer must outlast the budget; the other tests keep a generous one, so a
            // loaded machine never turns a good answer into a fallback.
            let base = Self.config(llm: llm, graph: nil, actions: .dryRun)
            let configure: TestServer.Configure = { config in
                base(&config)
                config.classifier.timeoutSeconds = 1
            }
            try await TestServer.run(database: .sqlite, configure: configure, integrationsJSON: Self.integrations) { server in
                let reply = try await Self.post(server, Samples.canonicalEvent(id: "evt-llm", subject: "How do I reset my password?"))
                #expect(reply.status == 202)
                try await eventually(timeout: .seconds(60)) { try await Self.settled(server) }
                #expect(try await server.store.inboxRows(limit: 10).map(\.status) == [.completed])
                let classification = try #require(try await Self.rows(server, .classificationResults).first)
                #expect(classification["model_used"]?.stringValue == LocalClassifier.modelName)
                let processing = try #require(try await Self.rows(server, .processingResults).first)
                #expect(processing["status"]?.stringValue == "completed")
                #expect(processing["error_stage"]?.stringValue == "classify")
                #expect(processing["error_message"]?.stringValue?.contains("fell back") == true)
                #expect(server.metric("mailhook_classifier_fallbacks_total") == 1)
            }
        }
    }

    @Test("no PII reaches the LLM: SSN, card number and IP address are replaced; only counts are kept")
    func noPIIToLLM() async throws {
        try await FakeLLM.with { llm in
            try await TestServer.run(database: .sqlite, configure: Self.config(llm: llm, graph: nil), integrationsJSON: Self.integrations) { server in
                let event = #"{"id": "evt-pii", "type": "email.received", "message": {"id": "m-pii", "from": {"address": "dave@fabrikam.example"}, "subject": "Card 4111 1111 1111 1111 declined", "bodyText": "My SSN is 123-45-6789, card 4111-1111-1111-1111, my laptop is 10.20.30.40 and I use dave.private@gmail.com."}}"#
                #expect(try await Self.post(server, event).status == 202)
                try await eventually { try await Self.settled(server) }
                #expect(!llm.requests.isEmpty)
                for request in llm.requests {
                    let text = (request.system ?? "") + (request.user ?? "")
                    for planted in ["123-45-6789", "4111", "10.20.30.40", "dave.private@gmail.com"] {
                        #expect(!text.contains(planted), "\(planted) reached the LLM in a \(request.kind) prompt")
                    }
                }
                let processing = try #require(try await Self.rows(server, .processingResults).first)
                let context = try JSONValue.parse(Array((processing["processing_context"]?.stringValue ?? processing["processing_context"]?.jsonText() ?? "").utf8))
                #expect(context["pii"]?["ssn"] == .number(1))
                #expect(context["pii"]?["card"] == .number(2))
                #expect(context["pii"]?["ip"] == .number(1))
                #expect(!(processing.jsonText().contains("123-45-6789")))
            }
        }
    }

    @Test("dry-run: every action is recorded with its exact request and nothing is called (SQLite)")
    func dryRunSQLite() async throws { try await dryRun(.sqlite) }

    @Test("dry-run: every action is recorded with its exact request and nothing is called (PostgreSQL)", .postgres)
    func dryRunPostgres() async throws { try await dryRun(.postgres) }

    func dryRun(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            // A question the offline classifier also reads as INFORMATION: the second opinion agrees.
            llm.enqueue([.good(category: .information, assessed: 95), .good(category: .information, assessed: 95), .good(category: .information, assessed: 95)])
            llm.mode = .good(category: .escalation, urgency: .critical, assessed: 95)
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: database, configure: Self.config(llm: llm, graph: graph, actions: .dryRun), integrationsJSON: Self.integrations,
                    graph: graph
                ) { server in
                    let first = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Where is the VPN guide?", fromAddress: "carol@fabrikam.example"))
                    #expect(try await Self.post(server, Self.referenceEvent("evt-a", messageId: first)).status == 202)
                    try await eventually { try await Self.settled(server) }
                    let second = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Server room is flooding", fromAddress: "erin@fabrikam.example"))
                    #expect(try await Self.post(server, Self.referenceEvent("evt-b", messageId: second)).status == 202)
                    try await eventually { try await Self.settled(server) }

                    #expect(graph.actions.isEmpty, "dry-run wrote nothing to Graph")
                    #expect(graph.calls.filter { $0.path.hasPrefix("/v1.0/") }.allSatisfy { $0.method == "GET" }, "only reads: \(graph.calls.map { "\($0.method) \($0.path)" })")
                    let actions = try await server.store.actionRecords(inboxId: nil)
                    #expect(actions.map(\.action) == [.reply, .teamsChat, .teamsMessage])
                    #expect(actions.allSatisfy { $0.mode == .dryRun && $0.status == .completed })
                    let reply = try JSONValue.parse(Array((actions.first?.request ?? "").utf8))
                    #expect(reply["method"]?.stringValue == "POST")
                    #expect(reply["path"]?.stringValue == "/users/\(Self.mailbox)/messages/\(first)/reply")
                    #expect(reply["body"]?["comment"]?.stringValue == FakeLLM.replyText)
                    #expect(try await Self.rows(server, .escalationTeams).count == 1)
                }
            }
        }
    }

    @Test("escalation by Teams workflow: an Adaptive Card is POSTed to the workflow URL and an escalation_teams row kept (SQLite)")
    func workflowEscalationSQLite() async throws { try await workflowEscalation(.sqlite) }

    @Test("escalation by Teams workflow: an Adaptive Card is POSTed to the workflow URL and an escalation_teams row kept (PostgreSQL)", .postgres)
    func workflowEscalationPostgres() async throws { try await workflowEscalation(.postgres) }

    func workflowEscalation(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .support, urgency: .critical, confidence: 90, assessed: 90)
            try await FakeGraph.with { graph in
                let teams = MailHookConfiguration.Teams(
                    mode: .workflowWebhook, fallbackMember: "lead@contoso.example", workflowUrl: Secret(graph.workflowURL()))
                try await TestServer.run(
                    database: database, configure: Self.config(llm: llm, graph: graph, teams: teams), integrationsJSON: Self.integrations, graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Email is down for everyone", fromAddress: "ceo@fabrikam.example"))
                    #expect(try await Self.post(server, Self.referenceEvent("evt-wf", messageId: id)).status == 202)
                    try await eventually { try await Self.settled(server) }
                    #expect(graph.workflowPosts.count == 1)
                    let card = graph.workflowPosts.first?["attachments"]?.arrayValue?.first
                    #expect(card?["contentType"]?.stringValue == "application/vnd.microsoft.card.adaptive")
                    let title = card?["content"]?["body"]?.arrayValue?.first?["inlines"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
                    #expect(title == ["Escalated: ", "Email is down for everyone"])
                    let escalation = try #require(try await Self.rows(server, .escalationTeams).first)
                    #expect(escalation["team_id"]?.stringValue == "card:\(id)")
                    let actions = try await server.store.actionRecords(inboxId: nil)
                    #expect(actions.map(\.action) == [.workflowCard])
                    #expect(actions.first?.request?.contains("sig=") == false, "the workflow URL is a secret and is not recorded")
                    #expect(graph.actions.filter { $0.kind != "workflowPost" }.isEmpty)
                }
            }
        }
    }

    @Test("escalation with Teams off: the message is flagged for people instead")
    func escalationWithTeamsOff() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .escalation, urgency: .high, confidence: 90, assessed: 90)
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: .sqlite, configure: Self.config(llm: llm, graph: graph, teams: .init(mode: .off)), integrationsJSON: Self.integrations, graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Complaint about the service desk", fromAddress: "vp@fabrikam.example"))
                    #expect(try await Self.post(server, Self.referenceEvent("evt-off", messageId: id)).status == 202)
                    try await eventually { try await Self.settled(server) }
                    #expect(graph.actions.map(\.kind) == ["update"])
                    #expect(graph.message(mailbox: Self.mailbox, id: id)?.categories == ["MailHook: Escalated", "MailHook: ESCALATION"])
                    let processing = try #require(try await Self.rows(server, .processingResults).first)
                    #expect(processing["action_taken"]?.stringValue == "flagged_for_escalation")
                }
            }
        }
    }

    @Test("a failing Graph dead-letters the item after maxAttempts; replay completes it once Graph recovers")
    func deadLetterAndReplay() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .purchasing, urgency: .low, assessed: 50)
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: .sqlite, configure: Self.config(llm: llm, graph: graph) { $0.maxAttempts = 2 }, integrationsJSON: Self.integrations,
                    graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "New monitor please", fromAddress: "carol@fabrikam.example"))
                    graph.failNext(1000, status: 400)
                    #expect(try await Self.post(server, Self.referenceEvent("evt-dead", messageId: id)).status == 202)
                    try await eventually { try await server.store.inboxRows(limit: 10).first?.status == .dead }
                    let dead = try #require(try await server.store.inboxRows(limit: 10).first)
                    #expect(dead.attempts == 2)
                    #expect(dead.lastError?.contains("400") == true)
                    #expect(graph.actions.isEmpty)

                    graph.failNext(0, status: 400)
                    #expect(try await server.store.replayInbox(id: nil) == 1)
                    server.application.dispatcher.wake()
                    try await eventually { try await server.store.inboxRows(limit: 10).first?.status == .completed }
                    #expect(graph.actions.map(\.kind) == ["update"])
                }
            }
        }
    }

    @Test("with a slow LLM and 50 queued emails the LLM never sees more than pipeline.concurrency requests")
    func concurrencyBound() async throws {
        try await FakeLLM.with { llm in
            // HUMAN_REVIEW: two LLM calls per email, each answered after a second while the emails
            // arrive (at most 2 emails/s get through, however slowly this machine posts), then
            // after 100 ms.
            llm.mode = .good(category: .purchasing, urgency: .low, confidence: 50, assessed: 50)
            llm.latency = .seconds(1)
            let base = Self.config(llm: llm, graph: nil, actions: .dryRun) { $0.concurrency = 4 }
            try await TestServer.run(database: .sqlite, configure: base, integrationsJSON: Self.integrations) { server in
                for i in 0..<50 {
                    #expect(try await Self.post(server, Samples.canonicalEvent(id: "evt-q\(i)", subject: "New monitor \(i)")).status == 202)
                }
                // Acknowledgement latency while the pipeline is saturated is measured by Scripts/bench-pipeline.
                for i in 0..<150 {
                    #expect(try await Self.post(server, Samples.canonicalEvent(id: "evt-m\(i)", subject: "Laptop \(i) request")).status == 202)
                }
                #expect(try await server.store.inboxDepth() > 50, "the pipeline was still saturated while more arrived")
                llm.latency = .milliseconds(100)
                try await eventually(timeout: .seconds(120)) { try await Self.settled(server) }
                #expect(llm.peakInFlight <= 4)
                #expect(llm.peakInFlight >= 2, "work ran in parallel")
                #expect(try await Self.rows(server, .processingResults).count == 200)
            }
        }
    }
}
