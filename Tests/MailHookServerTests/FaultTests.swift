import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import Testing

/// Faults end to end, on the real binary with the fake Graph and the fake LLM: a worker killed in
/// the middle of a slow Graph call, and the LLM going away and coming back.
@Suite("Faults end to end")
struct FaultTests {
    static let mailbox = PipelineProcessTests.mailbox

    static func settledStatus(_ db: MailHookConfiguration.Database) async throws -> [InboxStatus] {
        try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.inboxRows(limit: 100).map(\.status) }
    }

    // MARK: SIGKILL during a 200 s Graph call

    @Test("SIGKILL during a reply Graph takes 200 s to carry out (lease 5 s): exactly one reply (SQLite)")
    func killDuringSlowReplySQLite() async throws { try await killDuringSlowReply(.sqlite) }

    @Test("SIGKILL during a reply Graph takes 200 s to carry out (lease 5 s): exactly one reply (PostgreSQL)", .postgres)
    func killDuringSlowReplyPostgres() async throws { try await killDuringSlowReply(.postgres) }

    func killDuringSlowReply(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                let id = graph.addMessage(mailbox: Self.mailbox, .init(subject: "How do I map the team drive?", fromAddress: "carol@fabrikam.example"))
                // The reply lands in Sent Items only when the call ends, 200 s after it began.
                graph.slowRequests(method: "POST", pathSuffix: "/reply", delay: .seconds(200))
                let directory = PipelineProcessTests.workspace(database: db, graph: graph, llm: llm)
                let first = try MailHookProcess(arguments: ["serve"], directory: directory)
                let port = try await first.waitUntilListening()
                #expect(try await PipelineProcessTests.postReference(port: port, eventId: "evt-slow", messageId: id) == 202)
                @Sendable func replyCalls() -> Int { graph.calls(matching: "POST", pathPrefix: "/v1.0/users/").filter { $0.path.hasSuffix("/reply") }.count }
                try await eventually(timeout: .seconds(60)) { replyCalls() == 1 }
                first.signal(SIGKILL)
                #expect(await first.waitForExit() == SIGKILL)

                let second = try MailHookProcess(arguments: ["serve"], directory: directory)
                _ = try await second.waitUntilListening()
                try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
                    // The new worker takes the row over once the lease ran out, finds no reply yet and waits.
                    try await eventually(timeout: .seconds(60)) {
                        try await store.inboxRows(limit: 10).first?.lastError?.contains("not known yet") == true
                    }
                    #expect(replyCalls() == 1, "nothing is sent again while the first call may still land")
                    try await eventually(timeout: .seconds(260)) { try await store.inboxRows(limit: 10).first?.status == .completed }
                }
                second.signal(SIGTERM)
                #expect(await second.waitForExit() == 0)

                #expect(replyCalls() == 1)
                #expect(graph.actions.filter { $0.kind == "reply" }.count == 1, "exactly one reply")
                let actions = try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.actionRecords(inboxId: nil) }
                #expect(actions.map(\.action) == [.reply])
                #expect(actions.first?.result?.contains("Sent Items") == true, "\(actions.first?.result ?? "")")
            }
        }
    }

    // MARK: The LLM goes away and comes back

    @Test("LLM down: the offline classifier takes over; LLM back: it is used again (SQLite)")
    func llmOutageSQLite() async throws { try await llmOutage(.sqlite) }

    @Test("LLM down: the offline classifier takes over; LLM back: it is used again (PostgreSQL)", .postgres)
    func llmOutagePostgres() async throws { try await llmOutage(.postgres) }

    func llmOutage(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        try await FakeLLM.with { llm in
            llm.mode = .status(503)
            try await FakeGraph.with { graph in
                let directory = PipelineProcessTests.workspace(database: db, graph: graph, llm: llm)
                let server = try MailHookProcess(arguments: ["serve"], directory: directory)
                let port = try await server.waitUntilListening()
                let down = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Two new docking stations", fromAddress: "carol@fabrikam.example"))
                #expect(try await PipelineProcessTests.postReference(port: port, eventId: "evt-llm-down", messageId: down) == 202)
                try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
                    try await eventually(timeout: .seconds(60)) { try await store.inboxRows(limit: 10).allSatisfy { $0.status == .completed } }
                    llm.mode = .good(category: .purchasing, urgency: .low, confidence: 50, assessed: 50)
                    let back = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Three new monitors", fromAddress: "dave@fabrikam.example"))
                    #expect(try await PipelineProcessTests.postReference(port: port, eventId: "evt-llm-back", messageId: back) == 202)
                    try await eventually(timeout: .seconds(60)) {
                        let rows = try await store.inboxRows(limit: 10)
                        return rows.count == 2 && rows.allSatisfy { $0.status == .completed }
                    }
                    let results = try await store.tableRows(.classificationResults, limit: 10)
                    let models = Dictionary(uniqueKeysWithValues: results.compactMap { row in
                        row["email_id"]?.stringValue.map { ($0, row["model_used"]?.stringValue ?? "") }
                    })
                    #expect(models[down] == LocalClassifier.trainedModelName, "the built-in model takes part in the fallback: \(models)")
                    #expect(models[back] == "gpt-test", "\(models)")
                }
                server.signal(SIGTERM)
                #expect(await server.waitForExit() == 0)
            }
        }
    }
}
