import Foundation
import MailHookCore
import MailHookStore
@testable import MailHookServer
import Synchronization
import Testing

/// The filter's own-mail check reads the subscriptions only for an object id it does not know.
struct MailboxOwnersTests {
    /// Subscription rows in memory; counts how often they are read.
    final class Rows: SubscriptionStore {
        let rows = Mutex<[SubscriptionRow]>([])
        let reads = Atomic<Int>(0)

        func add(mailbox: String, mailboxId: String?) {
            rows.withLock { rows in
                rows.append(SubscriptionRow(
                    rowId: Int64(rows.count + 1), subscriptionId: "sub-\(rows.count + 1)", resource: "users/\(mailbox)/messages", mailbox: mailbox,
                    mailboxId: mailboxId, clientState: "cs", notificationUrl: nil, expiration: nil, status: .active, lastRenewedAt: nil,
                    lastReauthorizedAt: nil, lastError: nil))
            }
        }

        func subscriptionRows() async throws -> [SubscriptionRow] {
            reads.add(1, ordering: .relaxed)
            return rows.withLock { $0 }
        }

        func insertPendingSubscription(mailbox: String, mailboxId: String?, resource: String, clientState: String, notificationUrl: String, lifecycleUrl: String) async throws -> Int64 { 0 }
        func activateSubscription(rowId: Int64, subscriptionId: String, expiration: Date?, mailboxId: String?) async throws {}
        func updateSubscription(rowId: Int64, _ change: SubscriptionChange) async throws {}
        func deleteSubscriptionRow(rowId: Int64) async throws {}
        func deltaState(mailbox: String, folder: String) async throws -> DeltaState? { nil }
        func saveDeltaState(_ state: DeltaState) async throws {}
        func requestDelta(mailbox: String, folder: String, at: Date) async throws {}
        func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws {}
    }

    @Test("a mailbox named by address needs no read; an object id is read once, an unknown one until a subscription names it")
    func reads() async throws {
        let store = Rows()
        store.add(mailbox: "It@Contoso.example", mailboxId: "0A1B-GUID")
        let owners = MailboxOwners(store: store)

        #expect(try await owners.isOwn(sender: "IT@contoso.example", mailbox: "it@contoso.example"))
        #expect(try await !owners.isOwn(sender: "user@fabrikam.example", mailbox: "it@contoso.example"))
        #expect(store.reads.load(ordering: .relaxed) == 0)

        #expect(try await owners.isOwn(sender: "it@contoso.example", mailbox: "0a1b-guid"))
        #expect(try await !owners.isOwn(sender: "user@fabrikam.example", mailbox: "0A1B-GUID"))
        #expect(try await owners.isOwn(sender: "IT@CONTOSO.EXAMPLE", mailbox: "0a1b-guid"))
        #expect(store.reads.load(ordering: .relaxed) == 1)

        // A mailbox whose subscription is made later counts as soon as its row is there.
        #expect(try await !owners.isOwn(sender: "hr@contoso.example", mailbox: "9f9f-guid"))
        #expect(store.reads.load(ordering: .relaxed) == 2)
        store.add(mailbox: "hr@contoso.example", mailboxId: "9F9F-GUID")
        #expect(try await owners.isOwn(sender: "hr@contoso.example", mailbox: "9f9f-guid"))
        #expect(store.reads.load(ordering: .relaxed) == 3)
        #expect(try await owners.isOwn(sender: "hr@contoso.example", mailbox: "9f9f-guid"))
        #expect(store.reads.load(ordering: .relaxed) == 3)
    }
}
