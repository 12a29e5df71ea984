import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// Values the store is handed or reads back that are well-formed but out of range: a date in year
/// 300000 (PostgreSQL's driver traps converting it), an LLM's token count past 32 bits, a stored
/// confidence that is NaN. None traps, none fails the write, none is routed on.
@Suite("Hostile store values")
struct HostileStoreValuesTests {
    typealias P = PipelineStoreTests

    @Test("a far date is stored as the last storable one, a token count past 32 bits as the largest, a stored NaN confidence reads as none (SQLite)")
    func valuesSQLite() async throws { try await values(.sqlite) }

    @Test("a far date is stored as the last storable one, a token count past 32 bits as the largest, a stored NaN confidence reads as none (PostgreSQL)", .postgres)
    func valuesPostgres() async throws { try await values(.postgres) }

    func values(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            try await store.saveSubscription(SubscriptionRecord(
                subscriptionId: "sub-far", resource: "r", mailbox: "m", clientState: "cs", expiration: Date(timeIntervalSince1970: 1e13), status: .active))
            let subscription = try #require(try await store.tableRows(.subscriptions, limit: 10).first)
            let expiration = try #require(subscription["expiration"]?.stringValue.flatMap(GraphDate.parse))
            #expect(expiration.timeIntervalSince1970 > 253_402_300_000)

            for id in ["m1", "m2"] { try await P.email(id, store: store) }
            var counted = P.classification
            counted.tokensUsed = 3_000_000_000
            try await store.saveClassification(counted, emailId: "m1")
            #expect(try await store.classification(emailId: "m1")?.tokensUsed == Int(Int32.max))

            try await store.saveClassification(P.classification, emailId: "m2")
            _ = try await sql.database.write("UPDATE classification_results SET confidence = \(raw: database == .postgres ? "'NaN'" : "1e999") WHERE email_id = 'm2'", urgent: false)
            #expect(try await store.classification(emailId: "m2") == nil, "classified again, not routed on a NaN")
        }
    }

    @Test("an action record naming a status this version does not know fails the attempt; it is no database outage (SQLite)")
    func unknownActionStatusSQLite() async throws { try await unknownActionStatus(.sqlite) }

    @Test("an action record naming a status this version does not know fails the attempt; it is no database outage (PostgreSQL)", .postgres)
    func unknownActionStatusPostgres() async throws { try await unknownActionStatus(.postgres) }

    func unknownActionStatus(_ database: TestDatabase) async throws {
        try await P.withStore(database) { store in
            let sql = try #require(store as? SQLStore)
            let record = ActionRecord(inboxId: 1, emailId: "m1", action: .flag, idempotencyKey: "m1|flag", mode: .live, request: "{}")
            _ = try await store.beginAction(record)
            _ = try await sql.database.write("UPDATE action_records SET status = 'cancelled'", urgent: false)
            do {
                _ = try await store.beginAction(record)
                Issue.record("expected the unreadable record to fail")
            } catch {
                #expect(error is UnreadableRow, "\(error)")
                #expect(!error.isStoreOutage, "an outage would be deferred for ever without spending an attempt")
            }
        }
    }
}
