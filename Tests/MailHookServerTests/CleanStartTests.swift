import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// A clean start of the real binary logs no warning and no error: migrations run before any
/// service touches the store, and nothing on a healthy path is worth a warning.
@Suite("Clean start")
struct CleanStartTests {
    /// Log lines at warning level or above (`<timestamp> <level> <label>: …`).
    static func complaints(_ log: String) -> [String] {
        log.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            return fields.count >= 2 && ["warning", "error", "critical"].contains(fields[1])
        }.map(String.init)
    }

    @Test("the shipped configuration on SQLite: start, one event through the pipeline, stop — no warning or error")
    func shippedSQLite() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = TemporaryDirectory.make()
        try FileManager.default.copyItem(at: root.appendingPathComponent("Config"), to: directory.appendingPathComponent("Config"))
        let server = try MailHookProcess(arguments: ["serve"], environment: ["MAILHOOK_HELPDESK_SECRET": "dev-secret", "MAILHOOK_PORT": "0"], directory: directory)
        let port = try await server.waitUntilListening()
        let body = Samples.canonicalEvent(id: "evt_clean")
        #expect(try await MailHookProcess.postHelpdeskEvent(port: port, body: body).status == 202)
        let database = MailHookConfiguration.Database(url: .sqlite(path: directory.appendingPathComponent("data/mailhook.sqlite").path))
        try await StoreFactory.withStore(database, logger: Logger(label: "test")) { store in
            try await eventually { try await store.inboxRows(limit: 10).first?.status == .completed }
        }
        server.signal(SIGTERM)
        #expect(await server.waitForExit() == 0)
        #expect(Self.complaints(server.stderr).isEmpty, "\(Self.complaints(server.stderr))")
        #expect(server.stderr.contains("applied migrations"))
    }

    @Test("PostgreSQL with Graph and an LLM: migrations, subscription, startup catch-up, one email answered — no warning or error", .postgres)
    func postgresWithGraph() async throws {
        let db = try await TestDatabase.postgres.makeDatabase()
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                let mailbox = PipelineProcessTests.mailbox
                let port = try freePort()
                let directory = TemporaryDirectory.make()
                let config = directory.appendingPathComponent("Config")
                try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
                let main = """
                    {"server": {"port": \(port), "publicBaseUrl": "http://127.0.0.1:\(port)", "logLevel": "info"},
                     "database": {"url": "\(db.configURL)"},
                     "graph": {"tenantId": "\(graph.tenantId)", "clientId": "\(graph.clientId)", "clientSecret": "\(graph.clientSecret)",
                               "authorityHost": "\(graph.authorityHost)", "baseUrl": "\(graph.graphBaseURL)", "mailboxes": ["\(mailbox)"]},
                     "classifier": {"provider": "openai", "baseUrl": "\(llm.baseURL)", "apiKey": "k", "model": "gpt-test"},
                     "actions": {"mode": "live"}, "routing": {"autoRespondDomains": ["fabrikam.example"]}}
                    """
                try Data(main.utf8).write(to: config.appendingPathComponent("mailhook.json"))
                try Data(#"{"webhook_endpoints": []}"#.utf8).write(to: config.appendingPathComponent("integrations.json"))

                let server = try MailHookProcess(arguments: ["serve"], directory: directory)
                _ = try await server.waitUntilListening()
                try await eventually(timeout: .seconds(60)) {
                    graph.subscriptions.count == 1 && graph.calls.contains { $0.path.hasSuffix("/delta") && $0.status == 200 }
                }
                let id = graph.addMessage(mailbox: mailbox, .init(subject: "Where is the VPN guide?", fromAddress: "carol@fabrikam.example"))
                let subscription = try #require(graph.subscriptions.first)
                #expect(try await graph.notify(subscriptionId: subscription.id, messageId: id) == 202)
                try await eventually(timeout: .seconds(60)) { graph.actions.contains { $0.kind == "reply" } }
                try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
                    try await eventually { try await store.inboxRows(limit: 10).allSatisfy { $0.status == .completed } }
                }
                server.signal(SIGTERM)
                #expect(await server.waitForExit() == 0)
                #expect(Self.complaints(server.stderr).isEmpty, "\(Self.complaints(server.stderr))")
            }
        }
    }
}
