import Foundation
import MailHookCore
import MailHookGraph
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// Graph's answers are outside input too. A message may carry characters a database cannot store
/// (PostgreSQL's text refuses NUL): the email must still be processed once, not fail every
/// attempt until it is dead-lettered.
@Suite("Hostile Graph content")
struct HostileGraphContentTests {
    typealias P = PipelineTests

    @Test("NUL characters in a fetched message's subject, sender name and body: the email completes, the NULs stored as U+FFFD (SQLite)")
    func nulSQLite() async throws { try await nul(.sqlite) }

    @Test("NUL characters in a fetched message's subject, sender name and body: the email completes, the NULs stored as U+FFFD (PostgreSQL)", .postgres)
    func nulPostgres() async throws { try await nul(.postgres) }

    func nul(_ database: TestDatabase) async throws {
        try await FakeLLM.with { llm in
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: database, configure: P.config(llm: llm, graph: graph, actions: .dryRun), integrationsJSON: P.integrations, graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: P.mailbox, .init(
                        subject: "Printer\u{0} jammed\u{0}", fromAddress: "carol@fabrikam.example", fromName: "Carol\u{0}",
                        body: "Hello\u{0} IT, the printer on floor 3 is jammed."))
                    #expect(try await P.post(server, P.referenceEvent("evt-nul", messageId: id)).status == 202)
                    try await eventually { try await P.settled(server) }
                    let inbox = try #require(try await server.store.inboxRows(limit: 10).first)
                    #expect(inbox.status == .completed, "\(inbox.lastError ?? "")")
                    #expect(inbox.attempts == 1)
                    let email = try #require(try await server.store.emails(limit: 10).first)
                    #expect(email.subject == "Printer\u{FFFD} jammed\u{FFFD}")
                    #expect(!email.body.contains("\u{0}"))
                    #expect(email.processingStatus == .completed)
                }
            }
        }
    }

    @Test("a fetch answered 200 with a page that is not JSON is a failed attempt, not a message gone: retried, then dead-lettered")
    func garbledFetch() async throws {
        try await FakeLLM.with { llm in
            try await FakeGraph.with { graph in
                try await TestServer.run(
                    database: .sqlite, configure: P.config(llm: llm, graph: graph, actions: .dryRun) { $0.maxAttempts = 2 }, integrationsJSON: P.integrations,
                    graph: graph
                ) { server in
                    let id = graph.addMessage(mailbox: P.mailbox, .init(subject: "New monitor please", fromAddress: "carol@fabrikam.example"))
                    graph.garbleNext(1000)
                    #expect(try await P.post(server, P.referenceEvent("evt-garbled", messageId: id)).status == 202)
                    try await eventually { try await server.store.inboxRows(limit: 10).first.map { !InboxStatus.open.contains($0.status) } == true }
                    let row = try #require(try await server.store.inboxRows(limit: 10).first)
                    #expect(row.status == .dead, "kept for replay, not dropped as gone")
                    #expect(row.attempts == 2)
                    #expect(row.lastError?.contains("could not be read") == true, "\(row.lastError ?? "")")
                }
            }
        }
    }

    @Test("a NUL in bound text and a \\u0000 escape in bound JSON are stored as U+FFFD; an escaped backslash before u0000 is left alone (SQLite)")
    func boundSQLite() async throws { try await bound(.sqlite) }

    @Test("a NUL in bound text and a \\u0000 escape in bound JSON are stored as U+FFFD; an escaped backslash before u0000 is left alone (PostgreSQL)", .postgres)
    func boundPostgres() async throws { try await bound(.postgres) }

    func bound(_ database: TestDatabase) async throws {
        try await StoreTests.withStore(database) { store in
            try await store.migrate()
            try await store.appendAudit(actor: "a\u{0}b", action: "probe", subject: "x\u{0}", detail: #"{"nul":"x\u0000y","text":"\\u0000","raw":"p\#u{0}q"}"#)
            let row = try #require(try await store.tableRows(.auditLog, limit: 10).last)
            #expect(row["actor"] == .string("a\u{FFFD}b"))
            #expect(row["subject"] == .string("x\u{FFFD}"))
            let detail = try #require(PipelineStoreTests.json(row["detail"]))
            #expect(detail["nul"] == .string("x\u{FFFD}y"))
            #expect(detail["text"] == .string("\\u0000"), "an escaped backslash, then the letters u0000")
            #expect(detail["raw"] == .string("p\u{FFFD}q"))
        }
    }

    @Test("an id from a Graph answer is one path segment: '..' cannot climb, '/', '?' and '#' cannot split it")
    func idsStayOneSegment() {
        for id in [".", "..", "...", "a/../b", "x?y#z", "%2E%2E"] {
            let paths = [
                GraphClient.flagRequest(mailbox: "it@contoso.example", messageId: id, categories: []).path,
                GraphClient.replyRequest(mailbox: "..", messageId: id, comment: "hi").path,
                GraphClient.draftReplyRequest(mailbox: "it@contoso.example", messageId: id, comment: "hi").path,
                GraphClient.chatMessageRequest(chatId: id, html: "<p>x</p>").path,
            ]
            for path in paths {
                let segments = path.split(separator: "/", omittingEmptySubsequences: false)
                #expect(!segments.contains { $0 == "." || $0 == ".." }, "\(path)")
                #expect(!path.contains("?") && !path.contains("#"), "\(path)")
            }
            #expect(GraphClient.flagRequest(mailbox: "m", messageId: id, categories: []).path.split(separator: "/").count == 4, "\(id)")
        }
    }
}
