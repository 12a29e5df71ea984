import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// The pipeline in the real `mailhook` binary, killed mid-pipeline.
@Suite("Pipeline process")
struct PipelineProcessTests {
    static let token = "crash-pipeline-bearer-token"
    static let mailbox = "it@contoso.example"

    static func workspace(database: MailHookConfiguration.Database, graph: FakeGraph, llm: FakeLLM, maxAttempts: Int = 6) -> URL {
        let directory = TemporaryDirectory.make()
        let config = directory.appendingPathComponent("Config")
        try? FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        let url = database.configURL
        let main = """
            {"server": {"port": 0, "logLevel": "info"}, "database": {"url": "\(url)"},
             "graph": {"tenantId": "\(graph.tenantId)", "clientId": "\(graph.clientId)", "clientSecret": "\(graph.clientSecret)",
                       "authorityHost": "\(graph.authorityHost)", "baseUrl": "\(graph.graphBaseURL)"},
             "classifier": {"provider": "openai", "baseUrl": "\(llm.baseURL)", "apiKey": "k", "model": "gpt-test"},
             "pipeline": {"leaseSeconds": 5, "maxAttempts": \(maxAttempts)}, "actions": {"mode": "live"},
             "routing": {"autoRespondDomains": ["fabrikam.example"]}}
            """
        _ = FileManager.default.createFile(atPath: config.appendingPathComponent("mailhook.json").path, contents: Data(main.utf8))
        let integrations = #"{"webhook_endpoints": [{"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "bearer_token", "token": "\#(token)"}, "mailboxes": ["it@contoso.example"]}]}"#
        _ = FileManager.default.createFile(atPath: config.appendingPathComponent("integrations.json").path, contents: Data(integrations.utf8))
        return directory
    }

    /// POSTs a by-reference event for a message in the fake Graph's mailbox; returns the status.
    static func postReference(port: Int, eventId: String, messageId: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/email")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: #"{"id": "\#(eventId)", "type": "email.received", "graph": {"mailbox": "\#(mailbox)", "messageId": "\#(messageId)"}}"#))
        let response = try await HTTPClient.test.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    @Test("SIGKILL after the reply call, before completion: after restart the item completes and Graph saw exactly one reply (SQLite)")
    func crashAfterReplySQLite() async throws { try await crashAfterReply(.sqlite) }

    @Test("SIGKILL after the reply call, before completion: after restart the item completes and Graph saw exactly one reply (PostgreSQL)", .postgres)
    func crashAfterReplyPostgres() async throws { try await crashAfterReply(.postgres) }

    func crashAfterReply(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .medium, confidence: 80, assessed: 95)
            try await FakeGraph.with { graph in
                let id = graph.addMessage(mailbox: Self.mailbox, .init(
                    subject: "How do I map the team drive?", fromAddress: "carol@fabrikam.example", conversationId: "conv-crash"))
                graph.holdActions(["reply"])
                let directory = Self.workspace(database: db, graph: graph, llm: llm)
                let first = try MailHookProcess(arguments: ["serve"], directory: directory)
                let port = try await first.waitUntilListening()
                #expect(try await Self.postReference(port: port, eventId: "evt-crash", messageId: id) == 202)

                // The reply reached Graph (it is in Sent Items) but its answer never reaches MailHook.
                try await graph.waitForAction("reply", count: 1, timeout: .seconds(30))
                first.signal(SIGKILL)
                #expect(await first.waitForExit() == SIGKILL)
                graph.releaseHeldActions()

                let second = try MailHookProcess(arguments: ["serve"], directory: directory)
                _ = try await second.waitUntilListening()
                // One store for the whole wait: a PostgreSQL client per poll would exhaust the server's connections.
                try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
                    try await eventually(timeout: .seconds(60)) { try await store.inboxRows(limit: 10).first?.status == .completed }
                }
                second.signal(SIGTERM)
                #expect(await second.waitForExit() == 0)

                #expect(graph.actions.filter { $0.kind == "reply" }.count == 1, "exactly one reply")
                let actions = try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.actionRecords(inboxId: nil) }
                #expect(actions.map(\.action) == [.reply])
                #expect(actions.first?.status == .completed)
                #expect(actions.first?.result?.contains("Sent Items") == true, "completed by reconciliation: \(actions.first?.result ?? "")")
                let rows = try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.inboxRows(limit: 10) }
                #expect(rows.first?.attempts == 2)
            }
        }
    }

    @Test("mailhook replay --dead-letter brings a dead-lettered item back, and the running server completes it once Graph recovers")
    func replayCommand() async throws {
        let db = try await TestDatabase.sqlite.makeDatabase()
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .purchasing, urgency: .low, confidence: 50, assessed: 50)
            try await FakeGraph.with { graph in
                let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Two new docking stations", fromAddress: "carol@fabrikam.example"))
                graph.failNext(1000, status: 400)
                let directory = Self.workspace(database: db, graph: graph, llm: llm, maxAttempts: 1)
                let server = try MailHookProcess(arguments: ["serve"], directory: directory)
                let port = try await server.waitUntilListening()
                #expect(try await Self.postReference(port: port, eventId: "evt-replay", messageId: id) == 202)
                try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
                    try await eventually { try await store.inboxRows(limit: 10).first?.status == .dead }
                    graph.failNext(0, status: 400)
                    let (code, output, errors) = try await MailHookProcess.run(["replay", "--dead-letter"], directory: directory)
                    #expect(code == 0, "\(errors)")
                    #expect(output.contains("replayed 1 item(s)"))
                    try await eventually { try await store.inboxRows(limit: 10).first?.status == .completed }
                }
                #expect(graph.actions.map(\.kind) == ["update"])
                server.signal(SIGTERM)
                #expect(await server.waitForExit() == 0)
            }
        }
    }
}
