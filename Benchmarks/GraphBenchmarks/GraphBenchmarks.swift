import Foundation
import Logging
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Synchronization

/// Subscription renewal and delta catch-up at scale, against the fake Graph over loopback HTTP.
/// Prints wall times, Graph calls per subscription, and delta throughput next to its floor (the
/// fake's own page latency) measured in the same run.
@main
struct GraphBenchmarks {
    static func main() async throws {
        let mailboxes = Int(ProcessInfo.processInfo.environment["MAILBOXES"] ?? "") ?? 1000
        let messages = Int(ProcessInfo.processInfo.environment["MESSAGES"] ?? "") ?? 10_000
        let pageDelayMs = Int(ProcessInfo.processInfo.environment["PAGE_DELAY_MS"] ?? "") ?? 20
        print("MailHook Graph benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(mailboxes) mailboxes, \(messages) delta messages")
        try await subscriptions(count: mailboxes)
        try await delta(messages: messages, pageDelay: .milliseconds(pageDelayMs))
    }

    static func subscriptions(count: Int) async throws {
        let clock = BenchClock()
        try await FakeGraph.with { graph in
            let mailboxes = (0..<count).map { "user\($0)@example.com" }
            let configure: TestServer.Configure = {
                $0.graph.mailboxes = mailboxes
                $0.graph.subscriptionMinutes = 60
                $0.graph.renewBeforeMinutes = 50
                $0.graph.renewIntervalSeconds = 86400
                $0.graph.deltaIntervalMinutes = 10080
            }
            try await TestServer.run(database: .sqlite, configure: configure, now: clock.now, graph: graph) { server in
                let start = ContinuousClock.now
                await server.application.graphSync?.started.wait()
                let created = ContinuousClock.now - start
                let createCalls = graph.calls.count
                let posts = graph.calls(matching: "POST", pathPrefix: "/v1.0/subscriptions").count
                print("\n[subscriptions]")
                print("  create \(graph.subscriptions.count) subscriptions + baseline delta: \(format(created)) "
                      + "(\(String(format: "%.2f", Double(createCalls) / Double(count))) Graph calls per mailbox, \(posts) POST /subscriptions)")

                graph.resetCalls()
                graph.setThrottle(fraction: 0.1, retryAfterSeconds: 1)
                clock.advance(minutes: 15)
                graph.advanceTime(by: 15 * 60)
                let renewStart = ContinuousClock.now
                await server.application.graphSync?.renewRound()
                let renewed = ContinuousClock.now - renewStart
                let calls = graph.calls
                let patches = calls.filter { $0.method == "PATCH" && $0.status == 200 }.count
                let throttled = calls.filter { $0.status == 429 }.count
                let other = calls.filter { $0.method != "PATCH" }.count
                print("  renew all \(count) (10% of calls throttled, Retry-After 1 s): \(format(renewed)); "
                      + "\(patches) successful PATCHes = \(String(format: "%.2f", Double(patches) / Double(count))) per subscription, "
                      + "\(throttled) throttled and retried, \(other) other calls; peak in flight per mailbox \(graph.peakConcurrencyPerMailbox.values.max() ?? 0)")
            }
        }
    }

    static func delta(messages: Int, pageDelay: Duration) async throws {
        try await FakeGraph.with { graph in
            let configure: TestServer.Configure = {
                $0.graph.mailboxes = ["bulk@example.com"]
                $0.graph.deltaIntervalMinutes = 10080
                $0.graph.renewIntervalSeconds = 86400
            }
            try await TestServer.run(database: .sqlite, configure: configure, graph: graph) { server in
                await server.application.graphSync?.started.wait()
                guard let delta = server.application.subscriptions?.delta else { return }
                for n in 0..<messages { graph.addMessage(mailbox: "bulk@example.com", .init(subject: "bulk \(n)")) }
                print("\n[delta catch-up]")
                for delay in [Duration.zero, pageDelay] {
                    graph.deltaPageDelay = delay
                    graph.invalidateDeltaTokens()  // each run pages through the whole backlog again (the second adds no rows)
                    graph.resetCalls()
                    let before = try await server.store.inboxRows(limit: Int.max).count
                    let start = ContinuousClock.now
                    _ = try await delta.sync(mailbox: "bulk@example.com", mailboxId: nil)
                    let elapsed = ContinuousClock.now - start
                    let pages = graph.calls.filter { $0.path.hasSuffix("/delta") && $0.status == 200 }.count
                    let rows = try await server.store.inboxRows(limit: Int.max).count
                    let floor = delay * pages
                    let rate = Double(messages) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    print("  page delay \(format(delay)): \(messages) messages in \(pages) pages, \(format(elapsed)) = \(Int(rate)) messages/s; "
                          + "new inbox rows \(rows - before); "
                          + (delay == .zero ? "MailHook's own cost" : "floor (pages × delay) \(format(floor)) → \(String(format: "%.2f", ratio(elapsed, floor)))× the floor"))
                }
            }
        }
    }

    static func ratio(_ a: Duration, _ b: Duration) -> Double { b == .zero ? 0 : a / b }

    static func format(_ d: Duration) -> String {
        let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }
}

final class BenchClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    var now: @Sendable () -> Date { { [self] in Date().addingTimeInterval(self.offset.withLock { $0 }) } }
    func advance(minutes: Double) { offset.withLock { $0 += minutes * 60 } }
}
