import Foundation
import Logging
import MailHookCore
import MailHookGraph
import Synchronization
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

    @Test("a first token request that fails (Entra answering 500, the kept token unreadable) does not lose the kept token")
    func keptAfterFailures() async throws {
        try await FakeGraph.with { graph in
            // The configured token lapsed; only the kept one redeems.
            graph.delegatedRefreshToken = "kept-refresh-token"
            let reads = Mutex(0)
            let saved = Mutex<[String]>([])
            let keeper = TokenProvider.RefreshTokenKeeper(
                load: {
                    let n = reads.withLock { $0 += 1; return $0 }
                    if n == 2 { throw TestSupportError("the database blinked") }
                    return "kept-refresh-token"
                },
                save: { token in saved.withLock { $0.append(token) } })
            let tokens = TokenProvider(
                credentials: .init(authorityHost: graph.authorityHost, tenantId: graph.tenantId, clientId: graph.clientId,
                                   clientSecret: Secret(graph.clientSecret), scope: "https://graph.microsoft.com/.default offline_access",
                                   refreshToken: Secret("lapsed-configured-token")),
                httpClient: .test, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), keeper: keeper)
            graph.failTokenRequests(1)
            await #expect(throws: GraphError.self) { _ = try await tokens.token() }
            // Read again, and this time the read fails: the lapsed configured token is refused.
            await #expect(throws: GraphError.self) { _ = try await tokens.token() }
            // Read a third time: the kept token redeems and its successor is kept.
            let token = try await tokens.token()
            #expect(!token.isEmpty)
            #expect(reads.withLock { $0 } == 3)
            #expect(saved.withLock { $0 } == [graph.delegatedRefreshToken])
        }
    }

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

                // The operator configures a new token: the kept one (sealed under the old) is not
                // even tried, and the next rotation is kept under the new one.
                graph.delegatedRefreshToken = "operator-replaced-token"
                graph.resetCalls()
                let replaced = PipelineTests.config(llm: llm, graph: graph) { $0.maxAttempts = 1 }
                try await TestServer.run(
                    database: database, configure: replaced, integrationsJSON: PipelineTests.integrations, databaseConfig: db, graph: graph
                ) { server in
                    let posted = try await Self.escalate(server, graph, 4)
                    #expect(posted == 4)
                    let refused = graph.calls.filter { $0.path.hasSuffix("/oauth2/v2.0/token") && $0.status != 200 }
                    #expect(refused.isEmpty, "no refused token request: \(refused.map(\.status))")
                    let sealed = try await server.store.database.read("SELECT sealed FROM sealed_credentials").first?.string("sealed") ?? ""
                    #expect(SecretSeal.open(sealed, keyMaterial: "operator-replaced-token", purpose: "teams.delegatedRefreshToken") == graph.delegatedRefreshToken)
                }
            }
        }
    }
}
