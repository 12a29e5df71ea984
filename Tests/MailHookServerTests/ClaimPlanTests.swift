import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import Testing

/// A claim costs the rows it takes, not the backlog: with 20,000 due rows of a kind no processor
/// takes and 20,000 of kinds it does, each kind's candidates are an index lookup in due order.
@Suite("Claim plan")
struct ClaimPlanTests {
    static let claimed: [InboxKind] = [.canonicalEvent, .referenceEvent, .imapBridgeEvent, .graphLifecycle]

    @Test("claims read idx_inbox_claim, never the whole inbox, with a 40,000-row backlog (SQLite)")
    func sqlite() async throws { try await plan(.sqlite) }

    @Test("claims read idx_inbox_claim, never the whole inbox, with a 40,000-row backlog (PostgreSQL)", .postgres)
    func postgres() async throws { try await plan(.postgres) }

    func plan(_ database: TestDatabase) async throws {
        try await StoreTests.withStore(database) { store in
            _ = try await store.migrate()
            for (kind, count) in [(InboxKind.graphNotification, 20_000), (.canonicalEvent, 20_000)] {
                let items = (0..<count).map { n in
                    NewInboxItem(source: .graph, kind: kind, dedupeKey: "\(kind.rawValue)|\(n)", payload: "{}")
                }
                _ = try await store.insertInboxBatch([items])
            }
            let lines = try await store.claimPlan(kinds: Self.claimed)
            let text = lines.joined(separator: "\n")
            #expect(text.contains("idx_inbox_claim"), "\(text)")
            switch database {
            case .sqlite:
                // "SEARCH inbox USING INDEX …" is a lookup; "SCAN inbox" would read every row.
                #expect(!lines.contains { $0.hasPrefix("SCAN inbox") }, "\(text)")
                #expect(lines.filter { $0.contains("inbox USING") }.count == Self.claimed.count + 1, "\(text)")
            case .postgres:
                #expect(!text.contains("Seq Scan"), "\(text)")
                #expect(!text.contains("Sort Key: inbox"), "no arm sorts the inbox: \(text)")
            }
            let rows = try await store.claimInbox(kinds: Self.claimed, limit: 10, owner: "w", leaseSeconds: 60, maxAttempts: 6)
            #expect(rows.count == 10 && rows.allSatisfy { $0.kind == .canonicalEvent })
        }
    }

    @Test("an idle dispatcher's claim is a read when nothing is due; a busy one's is the claim alone (SQLite)")
    func probeSQLite() async throws { try await probe(.sqlite) }

    @Test("an idle dispatcher's claim is a read when nothing is due; a busy one's is the claim alone (PostgreSQL)", .postgres)
    func probePostgres() async throws { try await probe(.postgres) }

    func probe(_ database: TestDatabase) async throws {
        try await DecisionStoreTests.withCountingStore(database) { store, counting in
            #expect(try await store.claimInbox(kinds: [.canonicalEvent], limit: 4, owner: "w", leaseSeconds: 60, maxAttempts: 5).isEmpty)
            #expect(counting.reads == 1 && counting.writes == 0, "reads \(counting.reads), writes \(counting.writes)")

            _ = try await store.insertInboxBatch([[NewInboxItem(source: .integration, kind: .canonicalEvent, endpoint: "e", dedupeKey: "k1", payload: "{}")]])
            counting.reset()
            let rows = try await store.claimInbox(kinds: [.canonicalEvent], limit: 4, owner: "w", leaseSeconds: 60, maxAttempts: 5, expectRows: true)
            #expect(rows.map(\.dedupeKey) == ["k1"])
            #expect(counting.reads == 0 && counting.writes == 1, "reads \(counting.reads), writes \(counting.writes)")
        }
    }
}
