import Foundation
import MailHookCore

/// Long analytics windows read closed days from the `analytics_day_*` tables instead of counting
/// every row again. A day is cached only once it has been over for ``analyticsSettleDelay`` by
/// the database's clock; after that, triggers move the day's version on whenever a row of it
/// changes (migration 0009), and a day whose cached version is not the current one is counted
/// again before it is read. The window's first, partial day and the days not yet settled are
/// counted live, so every figure stays exactly what the rows say.
extension SQLStore {
    /// How long after a day ends it may be cached: far beyond any transaction that wrote it.
    static let analyticsSettleDelay: TimeInterval = 3600

    /// The groups of `parts` over everything since `since`.
    func analyticsWindow(_ parts: [AnalyticsPart], since: Date) async throws -> AnalyticsWindow {
        var window = AnalyticsWindow()
        let plan = try await analyticsPlan(since: since)
        for span in plan.live {
            for part in parts { window.add(part, try await database.read(aggregate(part, over: span))) }
        }
        if let days = plan.cached {
            try await refreshStaleDays(days)
            let first = Self.dayKey(days.lowerBound), end = Self.dayKey(days.upperBound)
            for part in parts {
                let keys = part.keys.joined(separator: ", ")
                let sums = part.sums.map { $0 == "confidence_sum" ? "SUM(\($0)) AS \($0)" : "CAST(SUM(\($0)) AS BIGINT) AS \($0)" }
                window.add(part, try await database.read("""
                    SELECT \(raw: keys), \(raw: sums.joined(separator: ", ")) FROM \(raw: part.table)
                    WHERE day >= \(first) AND day < \(end) GROUP BY \(raw: keys)
                    """))
            }
        }
        return window
    }

    /// Which spans of the window are counted live and which whole days are read from the cache.
    func analyticsPlan(since: Date) async throws -> (live: [AnalyticsSpan], cached: Range<Date>?) {
        let whole: (live: [AnalyticsSpan], cached: Range<Date>?) = ([AnalyticsSpan(from: since, to: nil)], nil)
        guard dayCache, let databaseNow = try await database.read("SELECT \(raw: dialect.now) AS now").first?.date("now") else { return whole }
        let firstWhole = Self.startOfDay(since).addingTimeInterval(86_400)
        let settledEnd = Self.startOfDay(databaseNow.addingTimeInterval(-Self.analyticsSettleDelay))
        guard settledEnd > firstWhole else { return whole }
        return ([AnalyticsSpan(from: since, to: firstWhole), AnalyticsSpan(from: settledEnd, to: nil)], firstWhole..<settledEnd)
    }

    /// Counts again each day of `days` whose cache is missing or older than its rows. Days
    /// before the first stored row hold nothing and are skipped.
    func refreshStaleDays(_ days: Range<Date>) async throws {
        let fresh = Set(try await database.read("""
            SELECT c.day AS day FROM analytics_day_cache c LEFT JOIN analytics_day_versions v ON v.day = c.day
            WHERE c.day >= \(Self.dayKey(days.lowerBound)) AND c.day < \(Self.dayKey(days.upperBound)) AND c.version = COALESCE(v.version, 0)
            """).compactMap { $0.string("day") })
        let firstRow = try await database.read("""
            SELECT (SELECT MIN(started_at) FROM processing_results) AS first_started, (SELECT MIN(created_at) FROM classification_results) AS first_classified
            """).first
        guard let earliest = [firstRow?.date("first_started"), firstRow?.date("first_classified")].compactMap({ $0 }).min() else { return }
        var day = max(days.lowerBound, Self.startOfDay(earliest))
        while day < days.upperBound {
            if !fresh.contains(Self.dayKey(day)) { try await refreshDay(day) }
            day = day.addingTimeInterval(86_400)
        }
    }

    /// Counts one day into the cache, in one transaction. The marker row is written first: it
    /// is the lock that keeps two replicas from counting the same day into it twice.
    func refreshDay(_ day: Date) async throws {
        let key = Self.dayKey(day)
        let span = AnalyticsSpan(from: day, to: day.addingTimeInterval(86_400))
        let statements = AnalyticsPart.allCases.map { part -> (delete: SQLStatement, insert: SQLStatement) in
            let columns = (part.keys + part.sums).filter { $0 != "day" }.joined(separator: ", ")
            var insert: SQLStatement = "INSERT INTO \(raw: part.table) (day, \(raw: columns)) SELECT \(key), \(raw: columns) FROM ("
            insert.append(aggregate(part, over: span))
            insert.append(") a")
            return ("DELETE FROM \(raw: part.table) WHERE day = \(key)", insert)
        }
        let computedAt = now()
        try await database.transaction { db in
            _ = try await db.run("""
                INSERT INTO analytics_day_cache (day, version, computed_at) VALUES (\(key), -1, \(computedAt))
                ON CONFLICT (day) DO UPDATE SET version = -1, computed_at = excluded.computed_at
                """)
            let version = try await db.run("SELECT version FROM analytics_day_versions WHERE day = \(key)").first?.int64("version") ?? 0
            for statement in statements {
                _ = try await db.run(statement.delete)
                _ = try await db.run(statement.insert)
            }
            _ = try await db.run("UPDATE analytics_day_cache SET version = \(version) WHERE day = \(key)")
        }
    }

    static func startOfDay(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }

    /// `YYYY-MM-DD` of a UTC day, as the cache tables and ``SQLDialect/utcDay(_:)`` write it.
    static func dayKey(_ date: Date) -> String {
        String(GraphDate.format(date).prefix(10))
    }
}
