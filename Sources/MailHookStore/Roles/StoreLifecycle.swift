import MailHookCore

/// What every store does whatever its role: schema, health, coordination, shutdown.
public protocol StoreLifecycle: Sendable {
    var kind: DatabaseKind { get }

    /// Receive-path group commits that may be in flight at once.
    var intakeWriters: Int { get }

    /// Applies pending migrations; returns the names of those applied now.
    @discardableResult
    func migrate() async throws -> [String]

    /// Succeeds when the database answers.
    func ping() async throws

    /// Runs `body` only if this process holds the named lock (one replica at a time); returns
    /// nil without running it when another replica holds it.
    func withExclusiveLock<T: Sendable>(_ name: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T?

    /// Releases connections.
    func close() async throws
}

/// Everything MailHook keeps durably, as the server composes it. Components take the narrowest
/// role they need.
public typealias DataStore = StoreLifecycle & InboxStore & SubscriptionStore & PipelineStore & StoreInspection & AdminStore & CredentialStore
