import Foundation
import Logging
import MailHookCore
@testable import MailHookStore
import MailHookTestSupport
import Testing

/// Processing rows edited by hand (their JSON columns not JSON, or holding something other than
/// what the pipeline writes) are outside input too: the admin API reads past them, and answers
/// for every other row as before.
@Suite("Damaged processing rows")
struct DamagedProcessingRowsTests {
    @Test("routing and stage timings that are not what the pipeline writes: dashboard, history and analytics still answer (SQLite)")
    func readsSQLite() async throws { try await reads(.sqlite) }

    @Test("routing and stage timings that are not what the pipeline writes: dashboard, history and analytics still answer (PostgreSQL)", .postgres)
    func readsPostgres() async throws { try await reads(.postgres) }

    func reads(_ database: TestDatabase) async throws {
        try await TestServer.run(database: database, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 6
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            let before = try await Self.decisions(server)
            let timedBefore = try await Self.classifyTiming(server)?["count"]?.testNumber ?? 0
            #expect(timedBefore == Double(count), "every email was classified")
            #expect(before.count == count && before.values.allSatisfy { $0 != nil }, "\(before)")

            // PostgreSQL keeps both columns as jsonb, so only JSON that is not an object gets in;
            // SQLite keeps text, so anything does.
            let routing = database == .postgres ? [#""a note""#, "[1, 2]", "{}"] : ["{not json", #""a note""#, "[1, 2]"]
            let contexts = database == .postgres
                ? [#"{"stages": {"classify": "slow"}}"#, #"{"stages": {"classify": 1e30}}"#, #"{"stages": {"classify": 1.5}}"#]
                : ["not json", #"{"stages": {"classify": "slow"}}"#, #"{"stages": {"classify": 1e30}}"#]
            for (n, (route, context)) in zip(routing, contexts).enumerated() {
                _ = try await server.store.database.write("""
                    UPDATE processing_results SET confidence_routing = \(json: route), processing_context = \(json: context)
                    WHERE email_id = \("helpdesk:evt-\(n + 1)")
                    """, urgent: false)
            }

            let after = try await Self.decisions(server)
            for n in 1...count {
                let id = "helpdesk:evt-\(n)"
                #expect(after[id] == (n <= routing.count ? .some(nil) : before[id]), "\(id): \(String(describing: after[id]))")
            }
            for path in ["/analytics/dashboard", "/analytics/processing?days=7", "/analytics/classification?days=7", "/emails/helpdesk:evt-1"] {
                let reply = try await server.get(path, headers: AdminAPITests.auth)
                #expect(reply.status == 200, "\(path) → \(reply.body)")
            }
            let classify = try await Self.classifyTiming(server)
            // Left out: text that is not JSON (SQLite only) and a time that is a string.
            let unreadable = database == .postgres ? 1 : 2
            #expect(classify?["count"]?.testNumber == Double(count - unreadable), "\(String(describing: classify))")
            let huge = database == .postgres ? "helpdesk:evt-2" : "helpdesk:evt-3"
            let clamped = try await server.store.database.read("""
                SELECT \(raw: server.store.dialect.jsonInteger("processing_context", ["stages", "classify"])) AS ms
                FROM processing_results WHERE email_id = \(huge)
                """).first?.int("ms")
            #expect(clamped == 1_000_000_000_000_000, "1e30 ms is clamped")
        }
    }

    static func classifyTiming(_ server: TestServer) async throws -> JSONValue? {
        let reply = try await server.get("/analytics/processing?days=7", headers: AdminAPITests.auth)
        return try JSONValue.parse(Array(reply.body.utf8))["stages"]?.arrayValue?.first { $0["stage"]?.stringValue == "classify" }
    }

    /// Each email's decision as the history lists it (nil where it has none).
    static func decisions(_ server: TestServer) async throws -> [String: String?] {
        let reply = try await server.get("/emails/history?limit=500", headers: AdminAPITests.auth)
        #expect(reply.status == 200, "\(reply.body)")
        var out: [String: String?] = [:]
        for entry in try JSONValue.parse(Array(reply.body.utf8))["emails"]?.arrayValue ?? [] {
            if let id = entry["id"]?.stringValue { out[id] = entry["decision"]?.stringValue }
        }
        return out
    }

    @Test("migrating PostgreSQL keeps a routing text that is not JSON, as a JSON string", .postgres)
    func migration() async throws {
        let config = try await TestDatabase.postgres.makeDatabase()
        try await StoreFactory.withStore(config, logger: Logger(label: "test")) { store in
            let db = store.database
            try await store.migrate()
            // The column as it was before 0012, with a row an operator edited.
            _ = try await db.write("ALTER TABLE processing_results ALTER COLUMN confidence_routing TYPE TEXT", urgent: false)
            _ = try await db.write("DELETE FROM schema_migrations WHERE version = '0012'", urgent: false)
            _ = try await db.write("""
                INSERT INTO email_messages (id, sender_email, received_datetime) VALUES ('m1', 'a@b.example', now())
                """, urgent: false)
            for (id, text) in [("p1", "{not json"), ("p2", #"{"decision": "HUMAN_REVIEW"}"#)] {
                _ = try await db.write("""
                    INSERT INTO processing_results (email_id, status, started_at, error_message, confidence_routing)
                    VALUES ('m1', 'completed', now(), \(id), \(text))
                    """, urgent: false)
            }
            #expect(try await store.migrate() == ["0012_routing_jsonb"])
            let rows = try await db.read("""
                SELECT jsonb_typeof(confidence_routing) AS type, confidence_routing ->> 'decision' AS decision,
                    confidence_routing #>> '{}' AS whole FROM processing_results ORDER BY error_message
                """)
            #expect(rows.map { $0.string("type") } == ["string", "object"])
            #expect(rows.first?.string("whole") == "{not json", "kept as it was")
            #expect(rows.last?.string("decision") == "HUMAN_REVIEW")
        }
    }
}
