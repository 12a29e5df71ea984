import Foundation
import MailHookCore
import MailHookServer
import MailHookTestSupport
import Testing

/// `GET /ready`: the database decides the status; the admin token shows every dependency.
@Suite("Readiness report")
struct ReadinessTests {
    static let mailbox = "it@contoso.example"

    @Test("with the admin token /ready reports the database, Graph, each subscription's expiry and the LLM's breaker; without it, nothing of them")
    func reportsDependencies() async throws {
        try await FakeLLM.with { llm in
            try await FakeGraph.with { graph in
                let configure = PipelineTests.config(llm: llm, graph: graph, actions: .dryRun, mailboxes: [Self.mailbox])
                try await TestServer.run(
                    database: .sqlite, configure: { configure(&$0); $0.admin.token = Secret(AdminAPITests.adminToken) },
                    integrationsJSON: PipelineTests.integrations, graph: graph
                ) { server in
                    try await server.graphSyncStarted()
                    let subscription = try #require(graph.subscriptions.first)

                    let healthy = try JSONValue.parse(Array(try await server.get("/ready", headers: AdminAPITests.auth).body.utf8))
                    #expect(healthy["status"]?.stringValue == "ready")
                    let dependencies = try #require(healthy["dependencies"])
                    #expect(dependencies["database"]?.stringValue == "up")
                    #expect(dependencies["graph"]?["status"]?.stringValue == "up")
                    #expect(dependencies["graph"]?["token_cached"] == .bool(true))
                    let listed = try #require(dependencies["subscriptions"]?.arrayValue)
                    #expect(listed.map { $0["mailbox"]?.stringValue } == [Self.mailbox])
                    #expect(listed.first?["status"]?.stringValue == "active")
                    #expect(listed.first?["expires_at"]?.stringValue?.hasPrefix("20") == true)
                    #expect(dependencies["llm"]?["status"]?.stringValue == "up")
                    #expect(dependencies["llm"]?["endpoint"]?.stringValue == llm.rootURL, "scheme, host and port, no path")

                    // The LLM fails three emails in a row: its breaker opens.
                    llm.mode = .status(500)
                    for n in 1...3 {
                        #expect(try await PipelineTests.post(server, Samples.canonicalEvent(id: "evt-\(n)", subject: "Printer \(n) jammed")).status == 202)
                    }
                    try await eventually { try await PipelineTests.settled(server) }
                    let degraded = try await server.get("/ready", headers: AdminAPITests.auth)
                    #expect(degraded.status == 200, "a down LLM does not make MailHook unready")
                    let report = try JSONValue.parse(Array(degraded.body.utf8))
                    #expect(report["dependencies"]?["llm"]?["status"]?.stringValue == "degraded")
                    #expect(report["dependencies"]?["llm"]?["breaker"]?.stringValue == "open")
                    #expect(!degraded.body.contains(subscription.clientState ?? "no clientState"), "no clientState in the report")
                    #expect(!degraded.body.contains("llm-key"))

                    for headers in [[], [("Authorization", "Bearer wrong-token-0123456789")]] {
                        let plain = try await server.get("/ready", headers: headers)
                        #expect(plain.status == 200)
                        #expect(!plain.body.contains("dependencies") && !plain.body.contains(Self.mailbox), "\(plain.body)")
                    }
                }
            }
        }
    }

    @Test("without Graph or an LLM they are reported off")
    func offDependencies() async throws {
        try await TestServer.run(database: .sqlite, configure: { $0.admin.token = Secret(AdminAPITests.adminToken) }) { server in
            let report = try JSONValue.parse(Array(try await server.get("/ready", headers: AdminAPITests.auth).body.utf8))
            #expect(report["dependencies"]?["graph"]?["status"]?.stringValue == "off")
            #expect(report["dependencies"]?["llm"]?["status"]?.stringValue == "off")
            #expect(report["dependencies"]?["subscriptions"]?.arrayValue?.isEmpty == true)
        }
    }
}
