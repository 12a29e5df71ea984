import Foundation
import Logging
import MailHookCore
import MailHookStore
import ServiceLifecycle
import Synchronization

/// The subscription timer: once the server listens, subscribes every configured mailbox (reusing
/// what exists) and catches up with delta; then every `graph.renewIntervalSeconds` renews what is
/// due, and every `graph.deltaIntervalMinutes` runs a delta round per mailbox as a safety net.
/// With PostgreSQL, one replica at a time does the work (an advisory lock).
public final class GraphSyncService: Service, Sendable {
    let manager: SubscriptionManager
    let store: any SubscriptionStore & StoreLifecycle
    let settings: MailHookConfiguration.Graph
    let ready: ReadySignal
    let logger: Logger
    /// Opens after the startup subscribe and delta rounds.
    public let started = ReadySignal()

    public init(manager: SubscriptionManager, store: any SubscriptionStore & StoreLifecycle, settings: MailHookConfiguration.Graph, ready: ReadySignal, logger: Logger) {
        self.manager = manager
        self.store = store
        self.settings = settings
        self.ready = ready
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { await self.ready.wait() }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        await startup()
        started.open()
        var lastDelta = ContinuousClock.now
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.settings.renewIntervalSeconds)) }
            } catch {
                return
            }
            await renewRound()
            if ContinuousClock.now - lastDelta >= .seconds(settings.deltaIntervalMinutes * 60) {
                lastDelta = .now
                await deltaRound()
            }
        }
    }

    func startup() async {
        do {
            _ = try await store.withExclusiveLock("mailhook.renewal") { try await self.manager.ensureAll() }
        } catch {
            logger.error("subscribing to the configured mailboxes failed; the renewal timer will retry", metadata: ["error": "\(error)"])
        }
        await deltaRound()
    }

    public func renewRound() async {
        do {
            _ = try await store.withExclusiveLock("mailhook.renewal") { try await self.manager.renewDue() }
        } catch {
            logger.error("renewal round failed", metadata: ["error": "\(error)"])
        }
    }

    public func deltaRound() async {
        let rows: [SubscriptionRow]
        do {
            rows = try await store.subscriptionRows().filter { $0.status == .active }
        } catch {
            logger.error("could not read subscriptions for the delta round", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        let ids = Dictionary(rows.compactMap { row in row.mailboxId.map { (row.mailbox, $0) } }, uniquingKeysWith: { _, last in last })
        _ = try? await SubscriptionManager.forEach(settings.mailboxes, concurrency: SubscriptionManager.parallelism) { mailbox in
            do {
                try await self.manager.delta.sync(mailbox: mailbox, mailboxId: ids[mailbox])
            } catch {
                self.logger.error("delta round failed", metadata: ["mailhook.mailbox": "\(mailbox)", "error": "\(error)"])
            }
        }
    }
}
