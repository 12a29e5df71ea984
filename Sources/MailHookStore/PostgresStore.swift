import Foundation
import Logging
import MailHookCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// The production store: a pooled `PostgresClient` (run as a service) shared by every replica.
/// Inbox batches go in as one `INSERT … SELECT FROM unnest(…)` statement: one round trip and one
/// commit for a whole group of concurrent requests.
public final class PostgresStore: MailHookStore {
    public let kind = "postgres"
    public let client: PostgresClient
    let logger: Logger

    /// Arbitrary constant for the advisory lock that serialises migrations across replicas.
    static let migrationLockKey: Int64 = 0x6d61_696c_686f_6f6b

    public init(configuration url: DatabaseURL.Postgres, maxConnections: Int, logger: Logger) {
        let tls: PostgresClient.Configuration.TLS
        switch url.tlsMode {
        case "require": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        default: tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password?.value,
            database: url.database, tls: tls)
        configuration.options.maximumConnections = maxConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// The pool's background work; must run (as a service) while the store is used.
    public func run() async {
        await client.run()
    }

    // MARK: Migrations

    @discardableResult
    public func migrate() async throws -> [String] {
        let migrations = try Migration.all(dialect: "postgres")
        return try await client.withTransaction(logger: logger) { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger)
            try await conn.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version TEXT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var done = Set<String>()
            for try await version in try await conn.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
                done.insert(version)
            }
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                for statement in migration.statements {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await conn.query("INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                applied.append(migration.name)
            }
            return applied
        }
    }

    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }

    public func tableNames() async throws -> Set<String> {
        var names = Set<String>()
        let rows = try await client.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()", logger: logger)
        for try await name in rows.decode(String.self) { names.insert(name) }
        return names
    }

    // MARK: Inbox

    public func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]] {
        let items = groups.flatMap { $0 }
        guard !items.isEmpty else { return groups.map { _ in [] } }
        let sources = items.map(\.source)
        let kinds = items.map(\.kind.rawValue)
        let endpoints = items.map { $0.endpoint ?? "" }
        let subscriptions = items.map { $0.subscriptionId ?? "" }
        let keys = items.map(\.dedupeKey)
        let messageKeys = items.map { $0.messageKey ?? "" }
        let payloads = items.map(\.payload)
        // No conflict target: a repeat of either the dedupe key or the message identity is a duplicate.
        let rows = try await client.query("""
            INSERT INTO inbox (source, kind, endpoint, subscription_id, dedupe_key, message_key, payload)
            SELECT s, k, NULLIF(e, ''), NULLIF(sub, ''), d, NULLIF(m, ''), p
            FROM unnest(\(sources)::text[], \(kinds)::text[], \(endpoints)::text[], \(subscriptions)::text[], \(keys)::text[],
                        \(messageKeys)::text[], \(payloads)::text[])
                AS t(s, k, e, sub, d, m, p)
            ON CONFLICT DO NOTHING
            RETURNING id, dedupe_key
            """, logger: logger)
        var inserted: [String: Int64] = [:]
        for try await (id, key) in rows.decode((Int64, String).self) { inserted[key] = id }
        return InboxOutcomes.assign(groups: groups, inserted: inserted)
    }

    public func inboxDepth() async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')", logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    public func inboxRows(limit: Int) async throws -> [InboxRow] {
        try await Self.inboxRows(try await client.query("""
            SELECT id, source, kind, endpoint, subscription_id, dedupe_key, message_key, payload, status, attempts, last_error
            FROM inbox ORDER BY id LIMIT \(limit)
            """, logger: logger))
    }

    static func inboxRows(_ rows: PostgresRowSequence) async throws -> [InboxRow] {
        var out: [InboxRow] = []
        for try await (id, source, kind, endpoint, sub, key, messageKey, payload, status, attempts, lastError)
            in rows.decode((Int64, String, String, String?, String?, String, String?, String, String, Int32, String?).self) {
            out.append(InboxRow(id: id, source: source, kind: kind, endpoint: endpoint, subscriptionId: sub, dedupeKey: key,
                                messageKey: messageKey, payload: payload, status: status, attempts: Int(attempts), lastError: lastError))
        }
        return out
    }

    // MARK: Subscriptions

    public func clientStates(forSubscription subscriptionId: String) async throws -> ClientStateCandidates {
        let rows = try await client.query("""
            SELECT subscription_id, client_state FROM subscriptions
            WHERE subscription_id = \(subscriptionId) OR (subscription_id IS NULL AND status = 'pending')
            """, logger: logger)
        var known: String?
        var pending: [String] = []
        for try await (id, state) in rows.decode((String?, String).self) {
            if id == subscriptionId { known = state } else { pending.append(state) }
        }
        return ClientStateCandidates(known: known, pending: pending)
    }

    public func saveSubscription(_ s: SubscriptionRecord) async throws {
        if let id = s.subscriptionId {
            try await client.query("""
                INSERT INTO subscriptions (subscription_id, resource, mailbox, client_state, expiration, status)
                VALUES (\(id), \(s.resource), \(s.mailbox), \(s.clientState), \(s.expiration), \(s.status))
                ON CONFLICT (subscription_id) DO UPDATE SET resource = excluded.resource, mailbox = excluded.mailbox,
                    client_state = excluded.client_state, expiration = excluded.expiration, status = excluded.status,
                    updated_at = now()
                """, logger: logger)
        } else {
            try await client.query("""
                INSERT INTO subscriptions (resource, mailbox, client_state, expiration, status)
                VALUES (\(s.resource), \(s.mailbox), \(s.clientState), \(s.expiration), \(s.status))
                """, logger: logger)
        }
    }

    public func appendAudit(actor: String, action: String, subject: String?, detail: String?) async throws {
        try await client.query("""
            INSERT INTO audit_log (actor, action, subject, detail) VALUES (\(actor), \(action), \(subject), \(detail)::jsonb)
            """, logger: logger)
    }

    public func close() async throws {}
}
