import Foundation
import Logging
import MailHookCore
@testable import MailHookServer
import MailHookStore
import MailHookTestSupport
import Synchronization
import Testing

/// An action whose outcome is unknown waits `unknownOutcomeWait` from its stored start before it is
/// sent again. The start is a stored row: one far in the future must not make the email wait for ever.
@Suite("Action wait")
struct ActionWaitTests {
    final class Calls: Sendable {
        let count = Atomic(0)
        let pending = Atomic(false)
    }

    func resumed(startedSecondsAgo: Double) async throws -> (threw: Bool, calls: Int) {
        let calls = Calls()
        try await PipelineStoreTests.withStore(.sqlite) { store in
            let sql = try #require(store as? SQLStore)
            let now = PipelineStoreTests.seen
            _ = try await store.beginAction(ActionRecord(
                inboxId: 1, emailId: "m1", action: .flag, idempotencyKey: "m1|flag", mode: .live, request: "{}", claimOwner: nil, claimAttempt: nil))
            let started = GraphDate.format(now.addingTimeInterval(-startedSecondsAgo))
            _ = try await sql.database.write("UPDATE action_records SET created_at = \(started)", urgent: false)
            let executor = ActionExecutor(store: store, mode: .live, metrics: ServerMetrics(), logger: Logger(label: "test"), unknownOutcomeWait: 600, now: { now })
            do {
                _ = try await executor.run(.flag, request: .object([:]), context: .init(inboxId: 1, emailId: "m1", attempt: 2, owner: nil),
                                           reconcile: { _ in nil }, call: { calls.count.add(1, ordering: .relaxed); return .object([:]) })
            } catch is OutcomePending {
                calls.pending.store(true, ordering: .relaxed)
            }
        }
        return (calls.pending.load(ordering: .relaxed), calls.count.load(ordering: .relaxed))
    }

    @Test("started 10 s ago: waits; 20 min ago: sent again; a start a year ahead: sent again, not waited on for ever")
    func futureStart() async throws {
        let recent = try await resumed(startedSecondsAgo: 10)
        #expect(recent.threw && recent.calls == 0)
        let old = try await resumed(startedSecondsAgo: 1200)
        #expect(!old.threw && old.calls == 1)
        let future = try await resumed(startedSecondsAgo: -365 * 86_400)
        #expect(!future.threw && future.calls == 1)
    }
}
