import Foundation
import MailHookCore
@testable import MailHookStore
import MailHookTestSupport
import Testing

/// `teams.delegatedRefreshToken`: Entra rotates the refresh token on each use; the newest one is
/// kept in the database, sealed under the configured token, so a restart after the configured one
/// lapsed still posts into Teams chats.
@Suite("Kept delegated refresh token")
struct DelegatedTokenKeepTests {
    @Test("a restart uses the rotated refresh token when the configured one lapsed, and the configured one when the kept one is refused (SQLite)")
    func keptSQLite() async throws { try await kept(.sqlite) }

    @Test("a restart uses the rotated refresh token when the configured one lapsed, and the configured one when the kept one is refused (PostgreSQL)", .postgres)
    func keptPostgres() async throws { try await kept(.postgres) }

    /// One escalation through the pipeline: its Teams chat message needs a delegated token.
    static func escalate(_ server: TestServer, _ graph: FakeGraph, _ n: Int) async throws -> Int {
        let id = graph.addMessage(mailbox: PipelineTests.mailbox, .init(subject: "Core switch down in building \(n)", fromAddress: "vp@fabrikam.example"))
        #expect(try await PipelineTests.post(server, PipelineTests.referenceEvent("evt-keep-\(n)", messageId: id)).status == 202)
        try await eventually { try await PipelineTests.settled(server) }
        return graph.actions.filter { $0.kind == "chatMessage" }.count
    }

    func kept(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .escalation, urgency: .high, confidence: 90, assessed: 90)
            try await FakeGraph.with { graph in
                let configured = graph.delegatedRefreshToken
                let db = try await database.makeDatabase()
                // One attempt: an email whose chat message cannot be posted fails at once.
                let configure = PipelineTests.config(llm: llm, graph: graph) { $0.maxAttempts = 1 }
                func run(_ body: @Sendable (TestServer) async throws -> Void) async throws {
                    try await TestServer.run(
                        database: database, configure: configure, integrationsJSON: PipelineTests.integrations, databaseConfig: db, graph: graph, body)
                }

                try await run { server in
                    #expect(try await Self.escalate(server, graph, 1) == 1)
                    let rotated = graph.delegatedRefreshToken
                    #expect(rotated != configured, "Entra rotated the refresh token")
                    let rows = try await server.store.database.read("SELECT name, sealed FROM sealed_credentials")
                    #expect(rows.map { $0.string("name") } == ["teams.delegatedRefreshToken"])
                    let sealed = rows.first?.string("sealed") ?? ""
                    #expect(!sealed.isEmpty && !sealed.contains(rotated) && !sealed.contains(configured), "kept sealed, never in the clear")
                }

                // The configured token lapses: only the rotated one still redeems.
                graph.delegatedRefreshToken = graph.delegatedRefreshToken
                try await run { server in
                    let posted = try await Self.escalate(server, graph, 2)
                    #expect(posted == 2, "the second start posted with the kept token")
                }

                // The kept token is revoked and the configured one redeems again: it is used.
                graph.delegatedRefreshToken = configured
                try await run { server in
                    let posted = try await Self.escalate(server, graph, 3)
                    #expect(posted == 3, "the third start fell back to the configured token")
                }
            }
        }
    }
}
