import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// A `missed` or `subscriptionRemoved` that arrives while a delta round for the same mailbox is
/// running must not be swallowed: that round's pages were taken before the event, so one more
/// round has to follow it.
@Suite("Delta requests during a running round")
struct DeltaDuringRoundTests {
    static let mailbox = "alice@example.com"

    enum Trigger: String, Sendable, CaseIterable {
        case missed, subscriptionRemoved
    }

    @Test("an event posted during a slow round causes a further round that fetches the message added meanwhile (SQLite)", arguments: Trigger.allCases)
    func duringRoundSQLite(_ trigger: Trigger) async throws { try await duringRound(.sqlite, trigger) }

    @Test("an event posted during a slow round causes a further round that fetches the message added meanwhile (PostgreSQL)", .postgres, arguments: Trigger.allCases)
    func duringRoundPostgres(_ trigger: Trigger) async throws { try await duringRound(.postgres, trigger) }

    func duringRound(_ database: TestDatabase, _ trigger: Trigger) async throws {
        try await FakeGraph.with { graph in
            try await GraphSyncTests.run(database, graph: graph, settings: GraphSyncTests.settings([Self.mailbox])) { server in
                let subscription = try #require(graph.subscriptions.first)
                // Long enough that a loaded machine still sees the round in flight.
                graph.deltaPageDelay = .seconds(6)
                graph.resetCalls()
                // A first `missed` starts a round; its page is taken when the request arrives.
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: "missed") == 202)
                try await eventually { graph.calls.contains { $0.path.hasSuffix("/delta") && $0.status == 0 } }
                let late = graph.addMessage(mailbox: Self.mailbox, .init(subject: "Arrived while the round ran"))
                if trigger == .subscriptionRemoved { graph.removeSubscription(id: subscription.id) }
                #expect(try await graph.sendLifecycle(subscriptionId: subscription.id, event: trigger.rawValue) == 202)

                let key = NewInboxItem.messageKey(mailboxId: graph.mailboxId(Self.mailbox), messageId: late)
                try await eventually(timeout: .seconds(60)) {
                    try await server.store.inboxRows(limit: 1000).contains { $0.messageKey == key }
                }
                #expect(graph.calls.filter { $0.path.hasSuffix("/delta") }.count >= 2)
                #expect(try await server.store.inboxRows(limit: 1000).filter { $0.messageKey == key }.count == 1)
            }
        }
    }
}
