import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// What one email costs the database: the pipeline's bookkeeping in three transactions.
@Suite("Pipeline transactions")
struct PipelineTransactionTests {
    static let token = "transactions-test-bearer-token"
    static let integrations = #"{"webhook_endpoints": [{"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "bearer_token", "token": "\#(token)"}}]}"#

    @Test("an email costs its acknowledgement, its claim and three transactions: decision, action record, completion (SQLite)")
    func threeSQLite() async throws { try await three(.sqlite) }

    @Test("an email costs its acknowledgement, its claim and three transactions: decision, action record, completion (PostgreSQL)", .postgres)
    func threePostgres() async throws { try await three(.postgres) }

    func three(_ database: TestDatabase) async throws {
        let counting = CountingDatabaseBox()
        try await TestServer.run(database: database, configure: { _ in }, integrationsJSON: Self.integrations, wrapDatabase: { counting.wrap($0) }) { server in
            for (n, subject) in ["Printer on floor 3 is jammed", "Please quote 20 laptops"].enumerated() {
                counting.database?.reset()
                let reply = try await server.post(
                    "/webhooks/email", body: Samples.canonicalEvent(id: "evt_tx_\(n)", subject: subject),
                    headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(Self.token)")])
                #expect(reply.status == 202)
                try await eventually {
                    let rows = try await server.store.inboxRows(limit: 10)
                    return rows.count == n + 1 && rows.allSatisfy { $0.status == .completed }
                }
                // The completion marked the row itself: nothing is written after it. The pattern
                // folder's background transactions count the observations later, apart from the email.
                let writes = (counting.database?.writes ?? -1) - (counting.database?.folds ?? 0)
                #expect(writes == 5, "writes: \(writes)")
            }
            let actions = try await server.store.actionRecords(inboxId: nil)
            #expect(actions.count == 2 && actions.allSatisfy { $0.status == .completed && $0.mode == .dryRun })
            let processing = try await server.store.tableRows(.processingResults, limit: 10)
            #expect(processing.count == 2 && processing.allSatisfy { $0["status"]?.stringValue == "completed" })
            #expect(try await server.store.tableRows(.classificationResults, limit: 10).count == 2)
        }
    }
}
