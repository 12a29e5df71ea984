import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// Acting safely in live mode: leases that hold through slow calls, no answer to automatic,
/// bulk or list mail, no reply a sender can steer, and outages that wait instead of failing.
@Suite("Safe actions")
struct SafeActionsTests {
    static let mailbox = PipelineTests.mailbox

    static func run(
        _ database: TestDatabase, llm: FakeLLM, graph: FakeGraph, configure: @escaping TestServer.Configure = { _ in },
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let base = PipelineTests.config(llm: llm, graph: graph)
        try await TestServer.run(database: database, configure: { config in
            base(&config)
            configure(&config)
        }, integrationsJSON: PipelineTests.integrations, graph: graph, body)
    }

    static func post(_ server: TestServer, _ id: String, messageId: String) async throws {
        #expect(try await PipelineTests.post(server, PipelineTests.referenceEvent(id, messageId: messageId)).status == 202)
    }

    static func routing(_ server: TestServer, email: String) async throws -> JSONValue? {
        let row = try await server.store.tableRows(.processingResults, limit: 1000).first { $0["email_id"]?.stringValue == email }
        return row?["confidence_routing"]?.stringValue.flatMap { try? JSONValue.parse(Array($0.utf8)) }
    }

    // MARK: Leases that hold

    @Test("lease 8 s, Graph answering the reply after 20 s: the lease is held and Graph sees exactly one reply (SQLite)")
    func slowReplySQLite() async throws { try await slowReply(.sqlite) }

    @Test("lease 8 s, Graph answering the reply after 20 s: the lease is held and Graph sees exactly one reply (PostgreSQL)", .postgres)
    func slowReplyPostgres() async throws { try await slowReply(.postgres) }

    func slowReply(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                try await Self.run(database, llm: llm, graph: graph, configure: { $0.pipeline.leaseSeconds = 8 }) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Where is the VPN guide?", fromAddress: "carol@fabrikam.example"))
                    graph.holdActions(["reply"])
                    try await Self.post(server, "evt-slow", messageId: id)
                    _ = try await graph.waitForAction("reply", timeout: .seconds(30))
                    try await Task.sleep(for: .seconds(20))  // two and a half leases: renewals must hold it
                    graph.releaseHeldActions()
                    try await eventually(timeout: .seconds(60)) { try await PipelineTests.settled(server) }
                    #expect(graph.actions.filter { $0.kind == "reply" }.count == 1)
                    let row = try #require(try await server.store.inboxRows(limit: 10).first)
                    #expect(row.status == .completed && row.attempts == 1, "never reclaimed: \(row.attempts) attempts")
                }
            }
        }
    }

    @Test("lease 8 s, the Teams chat message answered after 20 s: exactly one chat message (SQLite)")
    func slowChatMessageSQLite() async throws { try await slowChatMessage(.sqlite) }

    @Test("lease 8 s, the Teams chat message answered after 20 s: exactly one chat message (PostgreSQL)", .postgres)
    func slowChatMessagePostgres() async throws { try await slowChatMessage(.postgres) }

    func slowChatMessage(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .escalation, urgency: .high, confidence: 90, assessed: 90)
            try await FakeGraph.with { graph in
                try await Self.run(database, llm: llm, graph: graph, configure: { $0.pipeline.leaseSeconds = 8 }) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Everyone is locked out of the ERP", fromAddress: "carol@fabrikam.example"))
                    graph.holdActions(["chatMessage"])
                    try await Self.post(server, "evt-chat", messageId: id)
                    _ = try await graph.waitForAction("chatMessage", timeout: .seconds(30))
                    try await Task.sleep(for: .seconds(20))  // two and a half leases: renewals must hold it
                    graph.releaseHeldActions()
                    try await eventually(timeout: .seconds(60)) { try await PipelineTests.settled(server) }
                    #expect(graph.actions.filter { $0.kind == "chatMessage" }.count == 1)
                    #expect(graph.actions.filter { $0.kind == "createChat" }.count == 1)
                    #expect(try await server.store.inboxRows(limit: 10).first?.attempts == 1)
                }
            }
        }
    }

    // MARK: Loops and bulk mail

    struct LoopCase: Sendable, CustomStringConvertible {
        let name: String
        let message: FakeGraph.Message
        let rule: AutoReplyRule
        var description: String { name }
    }

    static func question(from address: String, headers: [String: String] = [:], replyTo: [String] = []) -> FakeGraph.Message {
        .init(subject: "Where is the VPN guide?", fromAddress: address, headers: headers, replyTo: replyTo)
    }

    static let loopCases: [LoopCase] = [
        LoopCase(name: "Auto-Submitted", message: question(from: "a1@fabrikam.example", headers: ["Auto-Submitted": "auto-replied"]), rule: .autoSubmitted),
        LoopCase(name: "Precedence bulk", message: question(from: "a2@fabrikam.example", headers: ["Precedence": "bulk"]), rule: .bulk),
        LoopCase(name: "Precedence junk", message: question(from: "a3@fabrikam.example", headers: ["Precedence": "junk"]), rule: .bulk),
        LoopCase(name: "Precedence list", message: question(from: "a4@fabrikam.example", headers: ["Precedence": "list"]), rule: .bulk),
        LoopCase(name: "List-Id", message: question(from: "a5@fabrikam.example", headers: ["List-Id": "<it-news.fabrikam.example>"]), rule: .mailingList),
        LoopCase(name: "X-Auto-Response-Suppress", message: question(from: "a6@fabrikam.example", headers: ["X-Auto-Response-Suppress": "All"]), rule: .suppressed),
        LoopCase(name: "Return-Path <>", message: question(from: "a7@fabrikam.example", headers: ["Return-Path": "<>"]), rule: .nullSender),
        LoopCase(name: "MAILER-DAEMON", message: question(from: "MAILER-DAEMON@fabrikam.example"), rule: .systemSender),
        LoopCase(name: "postmaster", message: question(from: "postmaster@fabrikam.example"), rule: .systemSender),
        LoopCase(name: "noreply", message: question(from: "noreply@fabrikam.example"), rule: .systemSender),
        LoopCase(name: "another monitored mailbox", message: question(from: "hr@contoso.example"), rule: .monitoredMailbox),
        LoopCase(name: "MailHook's own reply", message: question(from: "a8@fabrikam.example", headers: ["X-MailHook-Reply": "mh-0123456789ab"]), rule: .mailHookReply),
        LoopCase(name: "Reply-To elsewhere", message: question(from: "a9@fabrikam.example", replyTo: ["victim@partner.example"]), rule: .replyToElsewhere),
    ]

    @Test("automatic, bulk, list and system mail is never answered by itself: a draft, with the rule recorded", arguments: loopCases)
    func loops(_ loop: LoopCase) async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                let configure: TestServer.Configure = { $0.routing.autoRespondDomains = ["fabrikam.example", "contoso.example"] }
                try await TestServer.run(
                    database: .sqlite, configure: { config in
                        PipelineTests.config(llm: llm, graph: graph)(&config)
                        configure(&config)
                    },
                    integrationsJSON: #"{"webhook_endpoints": [{"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "bearer_token", "token": "\#(PipelineTests.token)"}, "mailboxes": ["it@contoso.example", "hr@contoso.example"]}]}"#,
                    graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: Self.mailbox, loop.message)
                    try await Self.post(server, "evt-loop", messageId: id)
                    try await eventually { try await PipelineTests.settled(server) }
                    #expect(graph.actions.map(\.kind) == ["createReply"], "\(loop.name): \(graph.actions.map(\.kind))")
                    let routing = try await Self.routing(server, email: id)
                    #expect(routing?["decision"]?.stringValue == "SUGGEST_RESPONSE")
                    #expect(routing?["downgrade"]?["rule"]?.stringValue == loop.rule.rawValue, "\(routing?.jsonText() ?? "")")
                }
            }
        }
    }

    @Test("a second email from the same sender within actions.replyWindowHours gets a draft, not another reply")
    func replyWindow() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                try await Self.run(.sqlite, llm: llm, graph: graph) { server in
                    let first = graph.addMessage(mailbox: Self.mailbox, Self.question(from: "carol@fabrikam.example"))
                    try await Self.post(server, "evt-w1", messageId: first)
                    try await eventually { try await PipelineTests.settled(server) }
                    let second = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Where is the printer guide?", fromAddress: "Carol@Fabrikam.example"))
                    try await Self.post(server, "evt-w2", messageId: second)
                    try await eventually { try await PipelineTests.settled(server) }
                    #expect(graph.actions.map(\.kind) == ["reply", "createReply"])
                    #expect(try await Self.routing(server, email: second)?["downgrade"]?["rule"]?.stringValue == AutoReplyRule.replyWindow.rawValue)
                    let reply = try #require(graph.actions.first { $0.kind == "reply" })
                    let headers = reply.json?["message"]?["internetMessageHeaders"]?.arrayValue ?? []
                    #expect(headers.contains { $0["name"]?.stringValue == "X-Auto-Response-Suppress" && $0["value"]?.stringValue == "All" })
                    #expect(headers.contains { $0["name"]?.stringValue == "X-MailHook-Reply" })
                }
            }
        }
    }
}
