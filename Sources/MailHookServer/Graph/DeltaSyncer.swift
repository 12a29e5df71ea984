import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookStore
import Synchronization

/// Catch-up with delta queries, per mailbox folder. The first round for a folder starts from
/// "now" (a filtered round that only establishes the deltaLink), so old mail is never replayed;
/// later rounds call the stored deltaLink verbatim. A 410 `SyncStateNotFound` drops the token and
/// resyncs from the last message received. Every message found becomes an inbox row keyed by the
/// message's identity, so a message also announced by a notification is stored once.
public final class DeltaSyncer: Sendable {
    public struct Result: Sendable, Equatable {
        public var found = 0
        public var inserted = 0
        public var removed = 0
        public var resynced = false
    }

    let graph: GraphClient
    let store: any SubscriptionStore & InboxStore & StoreLifecycle
    let folder: String
    let logger: Logger
    let pageSize: Int
    /// Mailboxes with a round running in this process, and whether another was asked for meanwhile.
    private let running = Mutex<[String: Bool]>([:])

    /// Pages one round follows before it saves where it got to and stops (the next round goes on
    /// from there): a catch-up of 100,000 messages is 2,000 pages of 50, and a round holds the
    /// mailbox's delta lock, so an answer whose links never end must not hold it for ever.
    let maxPagesPerRound: Int

    public init(
        graph: GraphClient, store: any SubscriptionStore & InboxStore & StoreLifecycle, folder: String, logger: Logger, pageSize: Int = 50,
        maxPagesPerRound: Int = 2_000
    ) {
        self.maxPagesPerRound = max(1, maxPagesPerRound)
        self.graph = graph
        self.store = store
        self.folder = folder
        self.logger = logger
        self.pageSize = pageSize
    }

    /// Runs a round for the mailbox. When one is already running (here or, with PostgreSQL, on
    /// another replica) two rounds must not share a token, so the request is remembered instead
    /// and nil returned: the running round starts one more when it ends, which fetches whatever
    /// arrived after it began (a `missed` posted mid-round is never swallowed).
    @discardableResult
    public func sync(mailbox: String, mailboxId: String?) async throws -> Result? {
        let key = mailbox.lowercased()
        let first = running.withLock { state -> Bool in
            if state[key] != nil {
                state[key] = true
                return false
            }
            state[key] = false
            return true
        }
        guard first else { return nil }
        defer { _ = running.withLock { $0.removeValue(forKey: key) } }
        var id = mailboxId
        if id == nil {
            // The object id recorded with the mailbox's subscription keys messages as notifications do.
            id = try await store.subscriptionRows().last { $0.mailbox == mailbox && $0.mailboxId != nil }?.mailboxId
        }
        let resolved = id ?? mailbox.lowercased()
        var total: Result?
        while true {
            let began = Date()
            let ran = try await store.withExclusiveLock("mailhook.delta.\(key)") {
                try await self.round(mailbox: mailbox, mailboxId: resolved)
            }
            guard let result = ran else {
                // Another replica holds the round: ask it for one more.
                try await store.requestDelta(mailbox: mailbox, folder: folder, at: Date())
                return total
            }
            total = Self.adding(total, result)
            let askedHere = running.withLock { state -> Bool in
                defer { state[key] = false }
                return state[key] ?? false
            }
            let askedElsewhere = try await store.deltaState(mailbox: mailbox, folder: folder)?.requestedAt.map { $0 >= began } ?? false
            guard askedHere || askedElsewhere else { return total }
            logger.info("another delta round was asked for during this one; running it", metadata: ["mailhook.mailbox": "\(mailbox)"])
        }
    }

    static func adding(_ total: Result?, _ round: Result) -> Result {
        guard var sum = total else { return round }
        sum.found += round.found
        sum.inserted += round.inserted
        sum.removed += round.removed
        sum.resynced = sum.resynced || round.resynced
        return sum
    }

    private func round(mailbox: String, mailboxId: String) async throws -> Result {
        var result = Result()
        let state = try await store.deltaState(mailbox: mailbox, folder: folder)
        var lastReceived = state?.lastReceivedAt
        // Without a token: from the last message seen (a little before, for clock skew), or from now.
        let since: Date? = state?.deltaLink == nil ? (lastReceived?.addingTimeInterval(-300) ?? Date()) : nil
        var link = state?.deltaLink ?? graph.deltaStart(mailbox: mailbox, folder: folder, receivedSince: since)
        var restarted = false
        // The previous page's insert runs while the next page is fetched: Graph's page latency, not
        // the database, bounds a long catch-up.
        var pendingInsert: Task<Int, any Error>?
        var followed: Set<String> = [link]
        do {
            while true {
                let page: DeltaPage
                do {
                    page = try await graph.delta(link, mailbox: mailbox, pageSize: pageSize)
                } catch let error as GraphError where error.status == 410 && !restarted {
                    logger.warning("delta token expired; resyncing from the last received message", metadata: [
                        "mailhook.mailbox": "\(mailbox)", "mailhook.graph.code": "\(error.code)",
                    ])
                    restarted = true
                    result.resynced = true
                    try await store.saveDeltaState(DeltaState(mailbox: mailbox, folder: folder, deltaLink: nil, lastReceivedAt: lastReceived, lastSyncAt: state?.lastSyncAt))
                    link = graph.deltaStart(mailbox: mailbox, folder: folder, receivedSince: lastReceived?.addingTimeInterval(-300) ?? Date())
                    continue
                }
                var items: [NewInboxItem] = []
                for message in page.messages {
                    guard let id = message["id"]?.stringValue else { continue }
                    let received = message["receivedDateTime"]?.stringValue.flatMap(GraphDate.parse)
                    if let received, received > (lastReceived ?? .distantPast) { lastReceived = received }
                    let key = NewInboxItem.messageKey(mailboxId: mailboxId, messageId: id)
                    let payload: JSONValue = .object([
                        "mailbox": .string(mailbox), "mailboxId": .string(mailboxId), "messageId": .string(id),
                        "receivedDateTime": message["receivedDateTime"] ?? .null,
                    ])
                    items.append(NewInboxItem(source: .delta, kind: .deltaMessage, dedupeKey: key, messageKey: key, payload: payload.jsonText()))
                }
                result.found += items.count
                result.removed += page.removedIds.count
                if let previous = pendingInsert { result.inserted += try await previous.value }
                pendingInsert = nil
                if !items.isEmpty {
                    let batch = items
                    pendingInsert = Task { [store] in
                        try await store.insertInboxBatch([batch]).joined().filter { $0 != .duplicate }.count
                    }
                }
                if let next = page.nextLink {
                    if let previous = pendingInsert, followed.count >= maxPagesPerRound || followed.contains(next) {
                        result.inserted += try await previous.value
                        pendingInsert = nil
                    }
                    guard !followed.contains(next) else {
                        throw GraphError(kind: .decoding, code: "delta_link_loop", message: "a delta page's nextLink repeated an earlier page's")
                    }
                    guard followed.count < maxPagesPerRound else {
                        // Every row so far is committed: the next round resumes at this page.
                        try await store.saveDeltaState(DeltaState(mailbox: mailbox, folder: folder, deltaLink: next, lastReceivedAt: lastReceived, lastSyncAt: Date()))
                        logger.warning("delta round stopped after its page limit; the next round goes on from there", metadata: [
                            "mailhook.mailbox": "\(mailbox)", "mailhook.delta.pages": "\(followed.count)", "mailhook.delta.found": "\(result.found)",
                        ])
                        return result
                    }
                    followed.insert(next)
                    link = next
                    continue
                }
                if let previous = pendingInsert { result.inserted += try await previous.value }
                guard let deltaLink = page.deltaLink else {
                    throw GraphError(kind: .decoding, code: "delta_without_link", message: "a delta page had neither nextLink nor deltaLink")
                }
                // Saved only after every row of the round is committed, so a crash repeats the round instead of losing it.
                try await store.saveDeltaState(DeltaState(mailbox: mailbox, folder: folder, deltaLink: deltaLink, lastReceivedAt: lastReceived, lastSyncAt: Date()))
                logger.info("delta round finished", metadata: [
                    "mailhook.mailbox": "\(mailbox)", "mailhook.delta.found": "\(result.found)", "mailhook.delta.new": "\(result.inserted)",
                ])
                return result
            }
        } catch {
            // A round that fails still waits for its last insert: nothing of it outlives the round
            // (the next round, or a shutdown, must not race it).
            if let pendingInsert { _ = try? await pendingInsert.value }
            throw error
        }
    }
}
