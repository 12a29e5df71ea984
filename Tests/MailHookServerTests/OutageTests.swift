import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// Outages wait, they do not fail: while Graph and its token endpoint are down, items are
/// rescheduled without spending attempts, and everything completes once Graph is back.
@Suite("Outages")
struct OutageTests {
    static let outage: Duration = .seconds(180)

    @Test("Graph down for 3 minutes with maxAttempts 3: nothing is dead-lettered, each email gets exactly one reply after recovery")
    func threeMinuteGraphOutage() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low, confidence: 90, assessed: 95)
            try await FakeGraph.with { graph in
                try await SafeActionsTests.run(.sqlite, llm: llm, graph: graph, configure: { $0.pipeline.maxAttempts = 3 }) { server in
                    let senders = (1...4).map { "user\($0)@fabrikam.example" }
                    graph.setOutage(status: 503)
                    let started = ContinuousClock.now
                    var ids: [String] = []
                    for (n, sender) in senders.enumerated() {
                        let id = graph.addMessage(mailbox: PipelineTests.mailbox, .init(subject: "Where is the VPN guide? (\(n))", fromAddress: sender))
                        ids.append(id)
                        try await SafeActionsTests.post(server, "evt-outage-\(n)", messageId: id)
                    }
                    // Half way through, the cached token expires too: the token endpoint is down as well.
                    var expired = false
                    while ContinuousClock.now - started < Self.outage {
                        let rows = try await server.store.inboxRows(limit: 100)
                        #expect(!rows.contains { $0.status == .dead }, "dead-lettered during the outage: \(rows.map(\.lastError))")
                        #expect(rows.allSatisfy { $0.attempts <= 1 }, "attempts spent on the outage: \(rows.map(\.attempts))")
                        if !expired, ContinuousClock.now - started > Self.outage / 2 {
                            graph.expireTokens()
                            expired = true
                        }
                        try await Task.sleep(for: .seconds(5))
                    }
                    #expect(graph.actions.isEmpty)
                    #expect(graph.calls.count > senders.count, "Graph was retried during the outage")
                    graph.setOutage(status: nil)
                    try await eventually(timeout: .seconds(90)) { try await PipelineTests.settled(server) }
                    let rows = try await server.store.inboxRows(limit: 100)
                    #expect(rows.count == senders.count)
                    #expect(rows.allSatisfy { $0.status == .completed }, "\(rows.map { ($0.status, $0.lastError) })")
                    #expect(graph.actions.filter { $0.kind == "reply" }.count == senders.count)
                    for id in ids {
                        #expect(graph.actions.filter { $0.kind == "reply" && $0.targetId == id }.count == 1)
                    }
                }
            }
        }
    }
}
