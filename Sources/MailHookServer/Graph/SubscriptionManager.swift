import Crypto
import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// Keeps one live Graph subscription per configured mailbox: creates them (clientState stored
/// before the create call), reuses existing ones, renews before expiry, recreates what Graph
/// removed or let expire, and runs a delta round after every gap.
public final class SubscriptionManager: Sendable {
    public enum Outcome: String, Sendable, Equatable {
        case reused, renewed, created, recreated, skipped
    }

    let graph: GraphClient
    let store: any SubscriptionStore
    let directory: SubscriptionDirectory
    public let delta: DeltaSyncer
    let settings: MailHookConfiguration.Graph
    let notificationUrl: String
    let lifecycleUrl: String
    let metrics: GraphMetrics
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        graph: GraphClient, store: any SubscriptionStore, directory: SubscriptionDirectory, delta: DeltaSyncer,
        settings: MailHookConfiguration.Graph, publicBaseUrl: String, metrics: GraphMetrics, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.graph = graph
        self.store = store
        self.directory = directory
        self.delta = delta
        self.settings = settings
        self.notificationUrl = publicBaseUrl + "/webhooks/graph"
        self.lifecycleUrl = publicBaseUrl + "/webhooks/graph/lifecycle"
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    public func resource(for mailbox: String) -> String {
        "users/\(mailbox)/mailFolders('\(settings.folder)')/messages"
    }

    // MARK: Reconcile

    /// Makes sure every configured mailbox has exactly one live subscription, reusing what
    /// exists (in the table and at Graph) so a restart never duplicates one.
    @discardableResult
    public func ensureAll() async throws -> [String: Outcome] {
        let atGraph = try await graph.listSubscriptions()
        let allRows = try await store.subscriptionRows()
        let rowsByMailbox = Dictionary(grouping: allRows, by: \.mailbox)
        // Mailboxes are independent; a few at a time keeps start-up short for many mailboxes.
        let outcomes = try await Self.forEach(settings.mailboxes, concurrency: Self.parallelism) { mailbox in
            do {
                return try await self.ensure(mailbox: mailbox, atGraph: atGraph, rows: rowsByMailbox[mailbox] ?? [])
            } catch {
                self.metrics.failure()
                self.logger.error("could not subscribe to a mailbox", metadata: ["mailhook.mailbox": "\(mailbox)", "error": "\(error)"])
                throw error
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(settings.mailboxes, outcomes))
    }

    /// Calls in flight at once across mailboxes (each mailbox still gets at most 4 from the client).
    static let parallelism = 16

    /// Runs `body` for each element, at most `concurrency` at a time, keeping the input order.
    static func forEach<T: Sendable, R: Sendable>(_ items: [T], concurrency: Int, _ body: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
        try await withThrowingTaskGroup(of: (Int, R).self) { group in
            var results = [R?](repeating: nil, count: items.count)
            var next = 0
            while next < min(concurrency, items.count) {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next
                    group.addTask { (index, try await body(items[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    func ensure(mailbox: String, atGraph: [GraphSubscription], rows allRows: [SubscriptionRow]) async throws -> Outcome {
        let resource = resource(for: mailbox)
        let rows = allRows.filter { $0.resource == resource }
        let liveIds = Set(atGraph.map(\.id))
        var kept: SubscriptionRow?
        for row in rows {
            switch row.status {
            case .active where row.subscriptionId.map(liveIds.contains) == true && kept == nil && row.notificationUrl == notificationUrl:
                kept = row
            case .active where row.subscriptionId.map(liveIds.contains) == true:
                // Made for another public URL (server.publicBaseUrl changed): replace it.
                if let id = row.subscriptionId { try await graph.deleteSubscription(id: id) }
                try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(status: .removed))
            case .active, .pending, .failed:
                // Graph no longer has it (expired or removed), or a create that never finished.
                try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(status: .removed))
            default:
                break
            }
        }
        // Subscriptions at Graph for this mailbox that MailHook cannot verify (no stored clientState) are replaced.
        for stray in atGraph where stray.resource.lowercased() == resource.lowercased() && stray.notificationUrl == notificationUrl
            && stray.id != kept?.subscriptionId {
            logger.notice("deleting a subscription without a stored clientState", metadata: ["mailhook.subscription": "\(stray.id)"])
            try await graph.deleteSubscription(id: stray.id)
        }
        if let kept, let id = kept.subscriptionId {
            directory.remember(subscriptionId: id, clientState: kept.clientState, mailbox: kept.mailbox, mailboxId: kept.mailboxId)
            if isDue(kept) {
                try await renew(kept)
                return .renewed
            }
            return .reused
        }
        let hadOne = !rows.isEmpty
        let created = try await create(mailbox: mailbox)
        if hadOne {
            // After a gap (a subscription that had lapsed), catch up. A first subscription's baseline
            // round is the startup delta round.
            try await delta.sync(mailbox: mailbox, mailboxId: created.mailboxId)
        }
        return hadOne ? .recreated : .created
    }

    // MARK: Create

    /// A fresh random clientState: 32 random bytes, base64url (43 characters).
    static func newClientState() -> String {
        let key = SymmetricKey(size: .bits256)
        return Base64URL.encode(key.withUnsafeBytes { Data($0) })
    }

    @discardableResult
    public func create(mailbox: String) async throws -> SubscriptionRow {
        let resource = resource(for: mailbox)
        let clientState = Self.newClientState()
        let mailboxId = await resolveMailboxId(mailbox)
        // Stored before the call, so notifications that race Graph's 201 verify.
        let rowId = try await store.insertPendingSubscription(
            mailbox: mailbox, mailboxId: mailboxId, resource: resource, clientState: clientState, notificationUrl: notificationUrl, lifecycleUrl: lifecycleUrl)
        directory.beginPending(clientState: clientState, mailbox: mailbox, mailboxId: mailboxId)
        defer { directory.endPending(clientState: clientState) }
        var attempt = 0
        var minutes = settings.subscriptionMinutes
        while true {
            attempt += 1
            do {
                let expiration = now().addingTimeInterval(Double(minutes) * 60)
                let created = try await graph.createSubscription(
                    resource: resource, notificationUrl: notificationUrl, lifecycleNotificationUrl: lifecycleUrl,
                    expiration: expiration, clientState: clientState)
                try await store.activateSubscription(rowId: rowId, subscriptionId: created.id, expiration: created.expiration ?? expiration, mailboxId: mailboxId)
                directory.remember(subscriptionId: created.id, clientState: clientState, mailbox: mailbox, mailboxId: mailboxId)
                metrics.created()
                logger.notice("created Graph subscription", metadata: [
                    "mailhook.mailbox": "\(mailbox)", "mailhook.subscription": "\(created.id)",
                    "mailhook.expiration": "\(created.expiration.map(GraphDate.format) ?? "?")",
                ])
                try await store.appendAudit(actor: "subscriptions", action: "created", subject: created.id, detail: JSONValue.object(["mailbox": .string(mailbox)]).jsonText())
                return SubscriptionRow(
                    rowId: rowId, subscriptionId: created.id, resource: resource, mailbox: mailbox, mailboxId: mailboxId, clientState: clientState,
                    notificationUrl: notificationUrl, expiration: created.expiration ?? expiration, status: .active, lastRenewedAt: nil,
                    lastReauthorizedAt: nil, lastError: nil)
            } catch let error as GraphError where Self.isExpiryRefusal(error) && attempt < 4 {
                // Some tenants still allow 4,230 minutes, not 10,080: use what Graph says.
                minutes = Self.clampedMinutes(from: error.message) ?? min(minutes, 4200)
                logger.warning("subscription expiry refused; clamping", metadata: ["mailhook.minutes": "\(minutes)"])
            } catch let error as GraphError where Self.isRetryableCreateFailure(error) && attempt < 4 {
                // Validation timeouts (a cold receiver) and server errors are worth another try.
                logger.warning("subscription create failed; retrying", metadata: ["mailhook.mailbox": "\(mailbox)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(attempt * 2))
            } catch {
                try? await store.updateSubscription(rowId: rowId, SubscriptionChange(status: .failed, lastError: .some("\(error)")))
                throw error
            }
        }
    }

    static func isExpiryRefusal(_ error: GraphError) -> Bool {
        error.status == 400 && error.message.lowercased().contains("expiration")
    }

    static func isRetryableCreateFailure(_ error: GraphError) -> Bool {
        if error.kind == .transport { return true }
        if let status = error.status, status >= 500 { return true }
        return error.status == 400 && error.message.lowercased().contains("timed out")
    }

    /// Notifications name mailboxes by object id; a configured UPN is looked up once.
    func resolveMailboxId(_ mailbox: String) async -> String {
        if UUID(uuidString: mailbox) != nil { return mailbox.lowercased() }
        do {
            return try await graph.userId(mailbox: mailbox).lowercased()
        } catch {
            logger.warning("could not look up the mailbox's object id (grant User.ReadBasic.All or configure object ids)", metadata: [
                "mailhook.mailbox": "\(mailbox)", "error": "\(error)",
            ])
            return mailbox.lowercased()
        }
    }

    // MARK: Renew

    func isDue(_ row: SubscriptionRow) -> Bool {
        guard let expiration = row.expiration else { return true }
        return expiration.timeIntervalSince(now()) < Double(settings.renewBeforeMinutes) * 60
    }

    /// Renews every active subscription expiring within `graph.renewBeforeMinutes`, and
    /// subscribes configured mailboxes that have none. Returns how many were renewed or created.
    @discardableResult
    public func renewDue() async throws -> Int {
        let rows = try await store.subscriptionRows()
        let due = rows.filter { $0.status == .active && $0.subscriptionId != nil && isDue($0) }
        let renewed = try await Self.forEach(due, concurrency: Self.parallelism) { row -> Bool in
            do {
                try await self.renew(row)
                return true
            } catch {
                self.metrics.failure()
                self.logger.error("subscription renewal failed", metadata: ["mailhook.subscription": "\(row.subscriptionId ?? "")", "error": "\(error)"])
                return false
            }
        }
        var done = renewed.filter { $0 }.count
        let covered = Set(rows.filter { $0.status == .active }.map(\.mailbox))
        for mailbox in settings.mailboxes where !covered.contains(mailbox) {
            do {
                let created = try await create(mailbox: mailbox)
                try await delta.sync(mailbox: mailbox, mailboxId: created.mailboxId)
                done += 1
            } catch {
                metrics.failure()
                logger.error("could not subscribe to a mailbox", metadata: ["mailhook.mailbox": "\(mailbox)", "error": "\(error)"])
            }
        }
        metrics.setEarliestExpiry(try await store.subscriptionRows().filter { $0.status == .active }.compactMap(\.expiration).min(), now: now())
        return done
    }

    /// One PATCH with a new expiry (which also reauthorizes). A 404 means Graph deleted it: recreate
    /// and catch up. A 400 about the expiry is retried with a clamped lifetime.
    public func renew(_ row: SubscriptionRow) async throws {
        guard let id = row.subscriptionId else { return }
        var minutes = settings.subscriptionMinutes
        for attempt in 1...2 {
            do {
                let expiration = now().addingTimeInterval(Double(minutes) * 60)
                let renewed = try await graph.renewSubscription(id: id, expiration: expiration)
                try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(
                    status: .active, expiration: renewed.expiration ?? expiration, lastRenewedAt: now(), lastError: .some(nil)))
                metrics.renewed()
                return
            } catch let error as GraphError where error.isNotFound {
                logger.notice("subscription is gone at Graph; recreating", metadata: ["mailhook.subscription": "\(id)"])
                try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(status: .expired, lastError: .some("\(error)")))
                directory.forget(subscriptionId: id)
                let created = try await create(mailbox: row.mailbox)
                try await delta.sync(mailbox: row.mailbox, mailboxId: created.mailboxId ?? row.mailboxId)
                return
            } catch let error as GraphError where Self.isExpiryRefusal(error) && attempt == 1 {
                minutes = Self.clampedMinutes(from: error.message) ?? min(minutes, 4200)
                logger.warning("subscription expiry refused; clamping", metadata: ["mailhook.minutes": "\(minutes)"])
            }
        }
    }

    /// "Subscription expiration can only be 4230 minutes in the future." → 4220 (a little under, for clock skew).
    static func clampedMinutes(from message: String) -> Int? {
        let numbers = message.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.filter { $0 > 45 }
        return numbers.first.map { max(45, $0 - 10) }
    }

    // MARK: Lifecycle

    /// `reauthorizationRequired`: one PATCH renew — unless the subscription was renewed or
    /// reauthorized in the last 10 minutes (Graph warns against both within 10 minutes).
    public func handleReauthorizationRequired(subscriptionId: String) async throws {
        guard let row = try await store.subscriptionRows().first(where: { $0.subscriptionId == subscriptionId && $0.status == .active }) else { return }
        let recent = [row.lastRenewedAt, row.lastReauthorizedAt].compactMap { $0 }.contains { now().timeIntervalSince($0) < 600 }
        if recent {
            logger.info("reauthorization already done in the last 10 minutes", metadata: ["mailhook.subscription": "\(subscriptionId)"])
            return
        }
        try await renew(row)
    }

    /// `subscriptionRemoved`: a new subscription, then a delta round for the gap.
    public func handleRemoved(subscriptionId: String) async throws {
        let rows = try await store.subscriptionRows()
        guard let row = rows.first(where: { $0.subscriptionId == subscriptionId }) else { return }
        try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(status: .removed))
        directory.forget(subscriptionId: subscriptionId)
        // Another replica (or an earlier attempt) may already have replaced it.
        if rows.contains(where: { $0.mailbox == row.mailbox && $0.status == .active && $0.subscriptionId != subscriptionId }) {
            try await delta.sync(mailbox: row.mailbox, mailboxId: row.mailboxId)
            return
        }
        let created = try await create(mailbox: row.mailbox)
        try await delta.sync(mailbox: row.mailbox, mailboxId: created.mailboxId ?? row.mailboxId)
    }

    /// `missed`: a delta round for the subscription's mailbox.
    public func handleMissed(subscriptionId: String) async throws {
        guard let row = try await store.subscriptionRows().first(where: { $0.subscriptionId == subscriptionId }) else { return }
        try await delta.sync(mailbox: row.mailbox, mailboxId: row.mailboxId)
    }

    /// Deletes every subscription MailHook made (CLI `subscriptions delete`).
    public func deleteAll() async throws -> Int {
        var deleted = 0
        for row in try await store.subscriptionRows() where row.status != .deleted {
            if let id = row.subscriptionId { try await graph.deleteSubscription(id: id) }
            try await store.updateSubscription(rowId: row.rowId, SubscriptionChange(status: .deleted))
            if let id = row.subscriptionId { directory.forget(subscriptionId: id) }
            deleted += 1
        }
        return deleted
    }
}
