import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MailHookCore
import NIOCore
import ServiceLifecycle
import Synchronization

/// A real HTTP server on 127.0.0.1 (a free port) that imitates Microsoft Graph v1.0 (users, messages, delta,
/// subscriptions, mail actions, Teams chats), the Entra token endpoint (client-credentials and, for a
/// service account, refresh-token grants) and Teams Workflows webhooks, closely enough to test a Graph
/// client end to end. See `graph-protocol.md` sections 1-9 for the behaviour copied.
///
/// ```swift
/// try await FakeGraph.with { graph in
///     let id = graph.addMessage(mailbox: "alice@contoso.example", .init(subject: "Hi"))
///     // point the client at graph.authorityHost and graph.graphBaseURL …
/// }
/// ```
///
/// All state sits behind one `Mutex`, which is never held across an `await`.
public final class FakeGraph: Sendable {
    public let tenantId: String
    public let clientId: String
    public let clientSecret: String
    let state: Mutex<State>
    private let server = Mutex<LoopbackServer?>(nil)

    private init(tenantId: String, clientId: String, clientSecret: String) {
        self.tenantId = tenantId
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.state = Mutex(State(tenantId: tenantId, clientId: clientId, clientSecret: clientSecret))
    }

    // MARK: - Lifecycle

    /// Starts the fake and returns once it listens. Call ``stop()`` when done; prefer
    /// ``with(tenantId:clientId:clientSecret:logger:isolation:_:)``, which cannot leak the server.
    public static func start(
        tenantId: String = "tenant-1",
        clientId: String = "client-1",
        clientSecret: String = "secret-1",
        logger: Logger = Logger(label: "FakeGraph", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> FakeGraph {
        let graph = FakeGraph(tenantId: tenantId, clientId: clientId, clientSecret: clientSecret)
        let server = try await LoopbackServer.start(name: "FakeGraph", logger: logger) { await graph.respond(to: $0) }
        graph.state.withLock { $0.port = server.port }
        graph.server.withLock { $0 = server }
        return graph
    }

    /// Shuts the server started by ``start(tenantId:clientId:clientSecret:logger:)`` down gracefully.
    /// Held requests are answered first, as graceful shutdown waits for them.
    public func stop() async throws {
        endHolds()
        try await server.withLock { $0 }?.stop()
    }

    /// Runs `body` with a started fake and shuts it down afterwards, also when `body` throws.
    public static func with<T>(
        tenantId: String = "tenant-1",
        clientId: String = "client-1",
        clientSecret: String = "secret-1",
        logger: Logger = Logger(label: "FakeGraph", factory: { _ in SwiftLogNoOpLogHandler() }),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (FakeGraph) async throws -> T
    ) async throws -> T {
        let graph = FakeGraph(tenantId: tenantId, clientId: clientId, clientSecret: clientSecret)
        return try await LoopbackServer.with(name: "FakeGraph", logger: logger, respond: { await graph.respond(to: $0) }, isolation: isolation) { port in
            graph.state.withLock { $0.port = port }
            // Graceful shutdown waits for in-flight requests, so none may stay held.
            defer { graph.endHolds() }
            return try await body(graph)
        }
    }


    // MARK: - Addresses

    /// `http://127.0.0.1:PORT`
    public var baseURL: String { state.withLock { $0.baseURL } }
    /// `baseURL + "/v1.0"`, the Graph root to give the client.
    public var graphBaseURL: String { baseURL + "/v1.0" }
    /// The Entra authority host; tokens come from `authorityHost/{tenantId}/oauth2/v2.0/token`.
    public var authorityHost: String { baseURL }

    /// A `graph` configuration section that points MailHook at this fake.
    public func settings(mailboxes: [String] = []) -> MailHookConfiguration.Graph {
        MailHookConfiguration.Graph(
            tenantId: tenantId, clientId: clientId, clientSecret: Secret(clientSecret), authorityHost: authorityHost, baseUrl: graphBaseURL,
            mailboxes: mailboxes)
    }

    // MARK: - Tokens

    /// Requests to the token endpoint so far, failed ones included.
    public var tokenRequestCount: Int { state.withLock { $0.tokenRequestCount } }

    /// Lifetime of newly issued tokens (`expires_in`). Default 3599.
    public var tokenLifetimeSeconds: Int {
        get { state.withLock { $0.tokenLifetimeSeconds } }
        set { state.withLock { $0.tokenLifetimeSeconds = newValue } }
    }

    /// Makes every access token issued so far invalid (as after a secret rotation or revocation).
    /// Refresh tokens keep working; see ``revokeRefreshTokens()``.
    public func expireTokens() {
        state.withLock {
            $0.tokens.removeAll()
            $0.tokenUsers.removeAll()
        }
    }

    // MARK: - Delegated tokens (refresh-token grant)

    /// The newest refresh token for the service account: the configured one until a redemption rotates it.
    /// Setting it makes it the only one accepted. Default "fake-refresh-token-1".
    public var delegatedRefreshToken: String {
        get { state.withLock { $0.currentRefreshToken } }
        set {
            state.withLock {
                $0.currentRefreshToken = newValue
                $0.refreshTokens = [newValue]
            }
        }
    }

    /// Refresh tokens that still redeem. Rotation adds the new one and keeps the old, as Entra does for a while.
    public var acceptedRefreshTokens: Set<String> { state.withLock { $0.refreshTokens } }

    /// Makes every refresh token answer 400 `invalid_grant` (consent revoked, password reset).
    public func revokeRefreshTokens() { state.withLock { $0.refreshTokens.removeAll() } }

    /// UPN of the service account that delegated tokens are issued for. Default "mailhook-bot@contoso.example".
    public var delegatedUser: String {
        get { state.withLock { $0.delegatedUser } }
        set { state.withLock { $0.delegatedUser = newValue } }
    }

    /// The stable object id of ``delegatedUser`` (the same as `mailboxId(delegatedUser)`).
    public var delegatedUserId: String { state.withLock { $0.mailboxKey($0.delegatedUser) } }

    /// Moves the fake's clock forward: tokens and subscriptions expire, new dates are later.
    public func advanceTime(by seconds: TimeInterval) { state.withLock { $0.timeOffset += seconds } }

    /// The fake's current time (the wall clock plus ``advanceTime(by:)``).
    public var now: Date { state.withLock { $0.now } }

    // MARK: - Mailboxes and messages

    /// The stable object id (GUID) of a mailbox given by UPN or id; a GUID maps to itself (lowercased).
    public func mailboxId(_ idOrUpn: String) -> String { state.withLock { $0.mailboxKey(idOrUpn) } }

    /// Puts a message into a mailbox folder and returns its (immutable) id.
    @discardableResult
    public func addMessage(mailbox: String, folder: String = "Inbox", _ message: FakeGraph.Message) -> String {
        state.withLock { s in
            let key = s.mailboxKey(mailbox)
            return s.insert(mailbox: key, folder: State.folderKey(folder), message)
        }
    }

    /// Deletes a message; the next delta round reports it as `@removed`.
    public func deleteMessage(mailbox: String, id: String) {
        state.withLock { s in
            let key = s.mailboxKey(mailbox)
            _ = s.remove(mailbox: key, id: id)
        }
    }

    /// The message as it is now (after any PATCH, reply or move), or nil.
    public func message(mailbox: String, id: String) -> FakeGraph.Message? {
        state.withLock { s in
            let key = s.mailboxKey(mailbox)
            return s.mailboxes[key]?.messages[id]?.message
        }
    }

    /// Ids of the messages in a folder, oldest first.
    public func messageIds(mailbox: String, folder: String = "Inbox") -> [String] {
        state.withLock { s in
            let key = s.mailboxKey(mailbox)
            let folderKey = State.folderKey(folder)
            guard let box = s.mailboxes[key] else { return [] }
            return box.order.filter { box.messages[$0]?.folder == folderKey }
        }
    }

    /// Page size of delta rounds unless the request sends `Prefer: odata.maxpagesize=N`. Default 10.
    public var deltaPageSize: Int {
        get { state.withLock { $0.deltaPageSize } }
        set { state.withLock { $0.deltaPageSize = max(1, newValue) } }
    }

    /// How long each delta page takes to arrive; the page holds what the mailbox held when the
    /// request came in. Default zero.
    public var deltaPageDelay: Duration {
        get { state.withLock { $0.deltaPageDelay } }
        set { state.withLock { $0.deltaPageDelay = newValue } }
    }

    /// Makes every skip and delta token issued so far answer 410 `SyncStateNotFound`.
    public func invalidateDeltaTokens() { state.withLock { $0.syncStates.removeAll() } }

    // MARK: - Subscriptions

    /// Longest lifetime accepted, in minutes. Default 10080.
    public var maxSubscriptionMinutes: Int {
        get { state.withLock { $0.maxSubscriptionMinutes } }
        set { state.withLock { $0.maxSubscriptionMinutes = newValue } }
    }

    /// Page size of `GET /subscriptions`. Default 100.
    public var pageSize: Int {
        get { state.withLock { $0.pageSize } }
        set { state.withLock { $0.pageSize = max(1, newValue) } }
    }

    /// How long a validation callback may take. Default 10 s, as in Graph.
    public var validationTimeout: Duration {
        get { state.withLock { $0.validationTimeout } }
        set { state.withLock { $0.validationTimeout = newValue } }
    }

    /// How long ``notify(subscriptionId:messageId:changeType:)`` waits for the receiver. Default 10 s.
    public var deliveryTimeout: Duration {
        get { state.withLock { $0.deliveryTimeout } }
        set { state.withLock { $0.deliveryTimeout = newValue } }
    }

    /// Live subscriptions, oldest first.
    public var subscriptions: [FakeGraph.Subscription] {
        state.withLock { s in
            s.purgeExpiredSubscriptions()
            return s.subscriptions
        }
    }

    /// Every validation callback sent, in order.
    public var validations: [FakeGraph.Validation] { state.withLock { $0.validations } }

    /// Every change or lifecycle notification posted, in order.
    public var deliveries: [FakeGraph.Delivery] { state.withLock { $0.deliveries } }

    /// Deletes a subscription on Graph's side (as before a `subscriptionRemoved` lifecycle event).
    public func removeSubscription(id: String) { state.withLock { _ = $0.retire(id) } }

    /// Lets a subscription lapse: it disappears and its id answers 404.
    public func expireSubscription(id: String) { removeSubscription(id: id) }

    // MARK: - Mail actions and chats

    /// Every write the client made (replies, drafts, updates, moves, sends, chats, workflow posts), in order.
    public var actions: [FakeGraph.Action] { state.withLock { $0.actions } }

    /// When true (the default, as in real Graph), `POST /chats/{id}/messages` with an app-only token fails
    /// with 403 "Message POST is allowed in application-only context only for import purposes.".
    /// Delegated tokens are unaffected: they may post where their user is a member.
    public var rejectAppOnlyChatMessages: Bool {
        get { state.withLock { $0.rejectAppOnlyChatMessages } }
        set { state.withLock { $0.rejectAppOnlyChatMessages = newValue } }
    }

    /// Chats created so far, oldest first, with their members and posted messages.
    public var chats: [FakeGraph.Chat] { state.withLock { $0.chats } }

    /// The chat with this id, or nil.
    public func chat(id: String) -> FakeGraph.Chat? { state.withLock { s in s.chats.first { $0.id == id } } }

    // MARK: - Recording

    /// Every request received (token endpoint included), in arrival order.
    public var calls: [FakeGraph.Call] { state.withLock { $0.calls } }

    /// The calls with this method whose path starts with `pathPrefix` (case-insensitive).
    public func calls(matching method: String, pathPrefix: String) -> [FakeGraph.Call] {
        calls.filter { $0.method.uppercased() == method.uppercased() && $0.path.lowercased().hasPrefix(pathPrefix.lowercased()) }
    }

    /// Forgets the recorded calls (not the other records).
    public func resetCalls() { state.withLock { $0.calls.removeAll() } }
}
