import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MailHookCore
import NIOCore
import ServiceLifecycle
import Synchronization

// The fake Graph's state, behind one lock: mailboxes, subscriptions, tokens, injected faults, records.
extension FakeGraph {
    struct MailboxState: Sendable {
        let id: String
        var userPrincipalName: String
        var messages: [String: StoredMessage] = [:]
        /// Live message ids in arrival order.
        var order: [String] = []
        var tombstones: [Tombstone] = []
        /// Folder key (lowercased name) → folder id.
        var folders: [String: String] = [:]
    }

    struct StoredMessage: Sendable {
        let id: String
        var folder: String
        var message: Message
        let createdSequence: Int
        var changedSequence: Int
        var changeKey: String
        let createdAt: Date
        var modifiedAt: Date
    }

    struct Tombstone: Sendable {
        let id: String
        let folder: String
        let createdSequence: Int
        let removedSequence: Int
    }

    enum SyncState: Sendable {
        case delta(mailbox: String, folder: String, since: Int)
        case skip(mailbox: String, folder: String, remaining: [JSONValue], upTo: Int)
    }

    struct Throttle: Sendable {
        let fraction: Double
        let retryAfterSeconds: Int
    }

    struct Failures: Sendable {
        var remaining: Int
        let status: Int
        let retryAfter: String?
    }

    struct SlowRequest: Sendable {
        let method: String
        let pathSuffix: String
        let delay: Duration
    }

    struct State: Sendable {
        let tenantId: String
        let clientId: String
        let clientSecret: String
        var port = 0
        var timeOffset: TimeInterval = 0
        var now: Date { Date().addingTimeInterval(timeOffset) }
        var baseURL: String { "http://127.0.0.1:\(port)" }

        var uploadedCertificates: [FakeGraph.UploadedCertificate] = []
        var acceptedAssertions: [JSONValue] = []
        var secretsPresented = 0
        var tokenLifetimeSeconds = 3599
        var tokenRequestCount = 0
        var tokensIssued = 0
        /// Valid access tokens → expiry.
        var tokens: [String: Date] = [:]
        /// Delegated access tokens → the user's object id; app-only tokens are not in it.
        var tokenUsers: [String: String] = [:]
        var delegatedUser = "mailhook-bot@contoso.example"
        var currentRefreshToken = "fake-refresh-token-1"
        var refreshTokens: Set<String> = ["fake-refresh-token-1"]
        var refreshTokensIssued = 1

        var mailboxes: [String: MailboxState] = [:]
        /// Lowercased UPN → object id.
        var aliases: [String: String] = [:]
        /// Grows with every message change; delta tokens remember a point on it.
        var changeSequence = 0
        var deltaPageSize = 10
        var deltaPageDelay: Duration = .zero
        var syncStates: [String: SyncState] = [:]

        var subscriptions: [Subscription] = []
        /// Deleted or lapsed subscriptions, kept so lifecycle events can still be sent for them.
        var retiredSubscriptions: [String: Subscription] = [:]
        /// The app's service principal, reported as `creatorId`.
        let creatorId = GraphIDs.uuid()
        var maxSubscriptionMinutes = 10080
        var pageSize = 100
        var validationTimeout: Duration = .seconds(10)
        var deliveryTimeout: Duration = .seconds(10)
        var validations: [Validation] = []
        var deliveries: [Delivery] = []

        var actions: [Action] = []
        var chats: [Chat] = []
        var lastChatMessageId = 0
        var rejectAppOnlyChatMessages = true

        /// Action kinds whose requests are held unanswered.
        var holdKinds: Set<String> = []
        /// Calls that recorded a held action and are about to wait.
        var pendingHolds: Set<Int> = []
        /// Calls waiting to be answered, by call sequence.
        var held: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Set on shutdown: nothing is held any more.
        var holdsEnded = false

        var workflowRequests: [WorkflowPost] = []
        var workflowFailures: Failures?

        var throttle: Throttle?
        var throttleSequence = 0
        var failures: Failures?
        /// Authenticated requests still to answer with 200 and a page that is not JSON.
        var garbledAnswers = 0
        /// Token requests still to answer with a server error (the token endpoint down).
        var tokenFailures = 0
        var outageStatus: Int?
        var slowRequests: [SlowRequest] = []
        var latency: Duration = .zero
        var inFlight: [String: Int] = [:]
        var peakInFlight: [String: Int] = [:]

        var calls: [Call] = []
        var callSequence = 0

        init(tenantId: String, clientId: String, clientSecret: String) {
            self.tenantId = tenantId
            self.clientId = clientId
            self.clientSecret = clientSecret
        }

        static func folderKey(_ name: String) -> String { name.lowercased() }

        /// Creates the mailbox on first use. A GUID is its own id; a UPN gets a new random one.
        mutating func mailboxKey(_ idOrUpn: String) -> String {
            if let uuid = UUID(uuidString: idOrUpn) {
                let id = uuid.uuidString.lowercased()
                if mailboxes[id] == nil { mailboxes[id] = MailboxState(id: id, userPrincipalName: "user-\(id.prefix(8))@contoso.example") }
                return id
            }
            if let id = aliases[idOrUpn.lowercased()] { return id }
            let id = GraphIDs.uuid()
            aliases[idOrUpn.lowercased()] = id
            mailboxes[id] = MailboxState(id: id, userPrincipalName: idOrUpn)
            return id
        }

        mutating func folderId(mailbox: String, folder: String) -> String {
            if let id = mailboxes[mailbox]?.folders[folder] { return id }
            let id = GraphIDs.folder()
            mailboxes[mailbox]?.folders[folder] = id
            return id
        }

        /// A folder given by well-known name (any case) or by the id this fake handed out.
        func resolveFolder(mailbox: String, _ reference: String) -> String {
            if let match = mailboxes[mailbox]?.folders.first(where: { $0.value == reference }) { return match.key }
            return Self.folderKey(reference)
        }

        mutating func insert(mailbox: String, folder: String, _ message: Message, id: String = GraphIDs.message()) -> String {
            changeSequence += 1
            _ = folderId(mailbox: mailbox, folder: folder)
            let created = now
            mailboxes[mailbox]?.messages[id] = StoredMessage(
                id: id, folder: folder, message: message, createdSequence: changeSequence, changedSequence: changeSequence,
                changeKey: GraphIDs.changeKey(), createdAt: created, modifiedAt: created)
            mailboxes[mailbox]?.order.append(id)
            return id
        }

        @discardableResult
        mutating func remove(mailbox: String, id: String) -> StoredMessage? {
            guard let stored = mailboxes[mailbox]?.messages.removeValue(forKey: id) else { return nil }
            changeSequence += 1
            mailboxes[mailbox]?.order.removeAll { $0 == id }
            mailboxes[mailbox]?.tombstones.append(
                Tombstone(id: id, folder: stored.folder, createdSequence: stored.createdSequence, removedSequence: changeSequence))
            return stored
        }

        /// Applies a change to a stored message and marks it changed for delta.
        mutating func update(mailbox: String, id: String, _ change: (inout Message) -> Void) -> StoredMessage? {
            guard var stored = mailboxes[mailbox]?.messages[id] else { return nil }
            change(&stored.message)
            changeSequence += 1
            stored.changedSequence = changeSequence
            stored.changeKey = GraphIDs.changeKey()
            stored.modifiedAt = now
            mailboxes[mailbox]?.messages[id] = stored
            return stored
        }

        /// Graph deletes lapsed subscriptions; this fake does so whenever it looks.
        mutating func purgeExpiredSubscriptions() {
            let now = self.now
            for lapsed in subscriptions where lapsed.expirationDateTime <= now { retiredSubscriptions[lapsed.id] = lapsed }
            subscriptions.removeAll { $0.expirationDateTime <= now }
        }
    }
}
