import Foundation
import MailHookCore

extension SQLStore: InboxStore {
    static let inboxColumns = "id, source, kind, endpoint, subscription_id, dedupe_key, message_key, payload, status, attempts, last_error, lease_owner"

    /// Rows per INSERT statement (7 bound values each).
    static let inboxRowsPerStatement = SQLDialect.maxBindsPerStatement / 7

    public func insertInboxBatch(_ groups: [[NewInboxItem]]) async throws -> [[InsertOutcome]] {
        let items = groups.flatMap { $0 }
        guard !items.isEmpty else { return groups.map { _ in [] } }
        let chunks = stride(from: 0, to: items.count, by: Self.inboxRowsPerStatement).map {
            Array(items[$0..<min($0 + Self.inboxRowsPerStatement, items.count)])
        }
        var inserted: [String: Int64] = [:]
        if chunks.count == 1 {
            inserted = Self.insertedKeys(try await database.write(Self.insert(chunks[0]), urgent: true))
        } else {
            inserted = try await database.transaction(urgent: true) { db in
                var ids: [String: Int64] = [:]
                for chunk in chunks { ids.merge(Self.insertedKeys(try await db.run(Self.insert(chunk)))) { first, _ in first } }
                return ids
            }
        }
        return InboxOutcomes.assign(groups: groups, inserted: inserted)
    }

    /// One multi-row INSERT. No conflict target: a repeat of either the dedupe key or the
    /// message identity is a duplicate.
    static func insert(_ chunk: [NewInboxItem]) -> SQLStatement {
        var statement: SQLStatement = "INSERT INTO inbox (source, kind, endpoint, subscription_id, dedupe_key, message_key, payload) VALUES "
        for (i, item) in chunk.enumerated() {
            statement.append(i == 0 ? "" : ", ")
            statement.append("(\(item.source), \(item.kind), \(item.endpoint), \(item.subscriptionId), \(item.dedupeKey), \(item.messageKey), \(item.payload))")
        }
        // Not kept prepared: every batch size is another text, and an acknowledgement is one
        // statement per batch already (measured: no change with it prepared).
        statement.append(" ON CONFLICT DO NOTHING RETURNING id, dedupe_key")
        return statement
    }

    static func insertedKeys(_ rows: [SQLRow]) -> [String: Int64] {
        var ids: [String: Int64] = [:]
        for row in rows {
            if let key = row.string("dedupe_key"), let id = row.int64("id") { ids[key] = id }
        }
        return ids
    }

    public func inboxDepth(limit: Int) async throws -> Int {
        let depth: SQLStatement = """
            SELECT count(*) AS n FROM (SELECT 1 FROM inbox WHERE status IN (\(list: InboxStatus.open.map(\.rawValue))) LIMIT \(max(0, limit))) AS open
            """
        let rows = try await database.read(depth.prepared())
        return rows.first?.int("n") ?? 0
    }

    public func claimInbox(kinds: [InboxKind], limit: Int, owner: String, leaseSeconds: Int, maxAttempts: Int, expectRows: Bool) async throws -> [InboxRow] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        let now = now()
        let leaseUntil = now.addingTimeInterval(Double(leaseSeconds))
        // Many wake-ups of an idle dispatcher find nothing due (a commit of new rows wakes it): a
        // read says so without taking the write path, which on SQLite is the receive path's too.
        // A busy one (its last claim was full) skips the read: rows are almost surely waiting.
        if !expectRows {
            var probe: SQLStatement = "SELECT id FROM ("
            probe.append(claimCandidates(kinds: kinds, limit: 1, now: now, locking: false))
            probe.append(") AS candidates LIMIT 1")
            guard try await !database.read(probe).isEmpty else { return [] }
        }
        let exhausted = "claimed after \(maxAttempts) attempts without an outcome (the worker stopped while processing it)"
        // One statement: rows out of attempts become dead, the others are leased.
        var statement: SQLStatement = """
            UPDATE inbox SET
                status = CASE WHEN attempts >= \(maxAttempts) THEN \(InboxStatus.dead) ELSE \(InboxStatus.processing) END,
                last_error = CASE WHEN attempts >= \(maxAttempts) THEN \(exhausted) ELSE last_error END,
                lease_owner = CASE WHEN attempts >= \(maxAttempts) THEN NULL ELSE \(owner) END,
                lease_until = CASE WHEN attempts >= \(maxAttempts) THEN NULL ELSE \(leaseUntil) END,
                completed_at = CASE WHEN attempts >= \(maxAttempts) THEN \(now) ELSE completed_at END,
                attempts = CASE WHEN attempts >= \(maxAttempts) THEN attempts ELSE attempts + 1 END,
                updated_at = \(now)
            WHERE id IN (SELECT id FROM (
            """
        statement.append(claimCandidates(kinds: kinds, limit: limit, now: now, locking: true))
        statement.append("""
            ) AS candidates ORDER BY due, id LIMIT \(limit))
            RETURNING \(raw: Self.inboxColumns)
            """)
        let rows = try await database.write(statement)
        return rows.compactMap(Self.inboxRow).sorted { $0.id < $1.id }
    }

    /// The rows a claim may take: per kind, the first `limit` due rows in due order, then rows
    /// whose lease expired. Each arm reads `idx_inbox_claim` from its start, so a claim costs what
    /// it takes, not the backlog (a single `kind IN (…) ORDER BY` would read every due row).
    /// `locking` skips rows another replica is claiming (PostgreSQL); a probe locks nothing.
    func claimCandidates(kinds: [InboxKind], limit: Int, now: Date, locking: Bool) -> SQLStatement {
        let skipLocked = locking ? dialect.skipLocked : ""
        var union: SQLStatement = ""
        for (index, kind) in kinds.enumerated() {
            union.append("""
                SELECT id, due FROM (SELECT id, next_attempt_at AS due FROM inbox
                    WHERE status = \(InboxStatus.pending) AND kind = \(kind) AND next_attempt_at <= \(now)
                    ORDER BY next_attempt_at LIMIT \(limit)\(raw: skipLocked)) AS due\(raw: String(index))
                UNION ALL

                """)
        }
        union.append("""
            SELECT id, due FROM (SELECT id, lease_until AS due FROM inbox
                WHERE status = \(InboxStatus.processing) AND kind IN (\(list: kinds.map(\.rawValue))) AND lease_until < \(now)
                LIMIT \(limit)\(raw: skipLocked)) AS expired
            """)
        return union
    }

    public func finishInbox(id: Int64, owner: String, status: InboxStatus, error: String?) async throws {
        try await database.write(Self.finishInbox(InboxLease(id: id, owner: owner), status: status, error: error, now: now()))
    }

    /// Ends a row's processing; does nothing once the lease is another worker's.
    static func finishInbox(_ lease: InboxLease, status: InboxStatus, error: String?, now: Date) -> SQLStatement {
        """
        UPDATE inbox SET status = \(status), last_error = \(error), lease_owner = NULL, lease_until = NULL, completed_at = \(now), updated_at = \(now)
        WHERE id = \(lease.id) AND lease_owner = \(lease.owner)
        """
    }

    public func retryInbox(id: Int64, owner: String, error: String, retryAt: Date) async throws {
        try await database.write("""
            UPDATE inbox SET status = \(InboxStatus.pending), last_error = \(error), lease_owner = NULL, lease_until = NULL,
                next_attempt_at = \(retryAt), updated_at = \(now())
            WHERE id = \(id) AND lease_owner = \(owner)
            """)
    }

    public func deferInbox(id: Int64, owner: String, reason: String, retryAt: Date) async throws {
        try await database.write("""
            UPDATE inbox SET status = \(InboxStatus.pending), last_error = \(reason), lease_owner = NULL, lease_until = NULL,
                next_attempt_at = \(retryAt), attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = \(now())
            WHERE id = \(id) AND lease_owner = \(owner)
            """)
    }

    public func extendLease(id: Int64, owner: String, attempt: Int, leaseSeconds: Int) async throws -> Bool {
        let now = now()
        let rows = try await database.write("""
            UPDATE inbox SET lease_until = \(now.addingTimeInterval(Double(leaseSeconds))), updated_at = \(now)
            WHERE id = \(id) AND lease_owner = \(owner) AND attempts = \(attempt) AND status = \(InboxStatus.processing)
            RETURNING id
            """)
        return !rows.isEmpty
    }

    public func replayInbox(id: Int64?) async throws -> Int {
        let now = now()
        let which: SQLStatement
        if let id {
            which = "id = \(id) AND status <> \(InboxStatus.processing)"
        } else {
            which = "status = \(InboxStatus.dead)"
        }
        var statement: SQLStatement = """
            UPDATE inbox SET status = \(InboxStatus.pending), attempts = 0, next_attempt_at = \(now), lease_owner = NULL, lease_until = NULL,
                updated_at = \(now) WHERE 
            """
        statement.append(which)
        statement.append(" RETURNING id")
        return try await database.write(statement).count
    }

    /// A stored row, or nil when it names a source, kind or status this version does not know.
    static func inboxRow(_ row: SQLRow) -> InboxRow? {
        guard let id = row.int64("id"), let source = row.value("source", as: InboxSource.self), let kind = row.value("kind", as: InboxKind.self),
              let status = row.value("status", as: InboxStatus.self) else { return nil }
        return InboxRow(
            id: id, source: source, kind: kind, endpoint: row.string("endpoint"), subscriptionId: row.string("subscription_id"),
            dedupeKey: row.string("dedupe_key") ?? "", messageKey: row.string("message_key"), payload: row.string("payload") ?? "",
            status: status, attempts: row.int("attempts") ?? 0, lastError: row.string("last_error"), leaseOwner: row.string("lease_owner"))
    }
}

enum InboxOutcomes {
    /// Maps the keys a batch actually inserted back onto each group's items; a key repeated
    /// within the batch counts as inserted once, then as a duplicate.
    static func assign(groups: [[NewInboxItem]], inserted: [String: Int64]) -> [[InsertOutcome]] {
        var claimed = Set<String>()
        return groups.map { group in
            group.map { item in
                if let id = inserted[item.dedupeKey], claimed.insert(item.dedupeKey).inserted {
                    return .inserted(id: id)
                }
                return .duplicate
            }
        }
    }
}
