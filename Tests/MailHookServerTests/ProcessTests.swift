import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Tests of the real `mailhook` binary.
@Suite("mailhook process")
struct ProcessTests {
    static let secret = "crash-test-signing-secret"

    /// A working directory with Config/ files pointing at `database`.
    static func workspace(database: MailHookConfiguration.Database, extraConfig: String = "") -> URL {
        let directory = TemporaryDirectory.make()
        let config = directory.appendingPathComponent("Config")
        try? FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        let url = database.configURL
        let main = #"{"server": {"port": 0, "logLevel": "info"\#(extraConfig)}, "database": {"url": "\#(url)"}}"#
        _ = FileManager.default.createFile(atPath: config.appendingPathComponent("mailhook.json").path, contents: Data(main.utf8))
        let integrations = #"{"webhook_endpoints": [{"name": "helpdesk", "url": "/webhooks/email", "authentication": {"type": "hmac_sha256", "secret": "${HELPDESK_SECRET}"}}]}"#
        _ = FileManager.default.createFile(atPath: config.appendingPathComponent("integrations.json").path, contents: Data(integrations.utf8))
        return directory
    }

    static func post(port: Int, id: String) async throws -> Int {
        let body = Samples.canonicalEvent(id: id)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/email")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let (name, value) = Signing.hmacHeader(body, secret: secret)
        request.headers.add(name: name, value: value)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.test.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    @Test("SIGKILL under concurrent load: every acknowledged event is stored once after restart (SQLite)")
    func crashSafetySQLite() async throws { try await crashSafety(.sqlite) }

    @Test("SIGKILL under concurrent load: every acknowledged event is stored once after restart (PostgreSQL)", .postgres)
    func crashSafetyPostgres() async throws { try await crashSafety(.postgres) }

    func crashSafety(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        let directory = Self.workspace(database: db)
        let env = ["HELPDESK_SECRET": Self.secret]
        let server = try MailHookProcess(arguments: ["serve"], environment: env, directory: directory)
        let port = try await server.waitUntilListening()

        let log = AckLog()
        let killAfter = 200
        await withTaskGroup(of: Void.self) { clients in
            for client in 0..<16 {
                clients.addTask {
                    var n = 0
                    while true {
                        let id = "evt-\(client)-\(n)"
                        n += 1
                        guard let status = try? await Self.post(port: port, id: id) else {
                            if log.killed.load(ordering: .relaxed) { return }
                            continue
                        }
                        if (200..<300).contains(status) {
                            let count = log.acked.withLock { $0.append(id); return $0.count }
                            if count == killAfter, !log.killed.exchange(true, ordering: .relaxed) {
                                server.signal(SIGKILL)
                            }
                        }
                        if n > 2000 { return }
                    }
                }
            }
        }
        #expect(await server.waitForExit() == SIGKILL)
        let acknowledged = log.acked.withLock { $0 }
        #expect(acknowledged.count >= killAfter)

        // Restart on the same database; replays of acknowledged events are duplicates.
        let restarted = try MailHookProcess(arguments: ["serve"], environment: env, directory: directory)
        let port2 = try await restarted.waitUntilListening()
        for id in acknowledged.prefix(5) {
            #expect(try await Self.post(port: port2, id: id) == 200)
        }
        restarted.signal(SIGTERM)
        #expect(await restarted.waitForExit() == 0, "graceful shutdown exits 0")

        let rows = try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.inboxRows(limit: 100_000) }
        let keys = rows.map(\.dedupeKey)
        #expect(Set(keys).count == keys.count, "no event stored twice")
        let stored = Set(keys)
        let missing = acknowledged.filter { !stored.contains("event|helpdesk|id:\($0)") }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")
    }

    @Test("the shipped configuration starts on SQLite with one variable set and stores a signed event")
    func shippedConfiguration() async throws {
        // A copy of the repository's Config/ folder, as a new user runs it.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = TemporaryDirectory.make()
        try FileManager.default.copyItem(at: root.appendingPathComponent("Config"), to: directory.appendingPathComponent("Config"))
        let env = ["MAILHOOK_HELPDESK_SECRET": "dev-secret", "MAILHOOK_PORT": "0"]
        let server = try MailHookProcess(arguments: ["serve"], environment: env, directory: directory)
        let port = try await server.waitUntilListening()
        let body = Samples.canonicalEvent(id: "evt_quickstart")
        let (status, answer) = try await MailHookProcess.postHelpdeskEvent(port: port, body: body)
        #expect(status == 202, "\(answer)")
        // The embedded default classifies offline and records its dry-run action.
        let database = MailHookConfiguration.Database(url: .sqlite(path: directory.appendingPathComponent("data/mailhook.sqlite").path))
        try await StoreFactory.withStore(database, logger: Logger(label: "test")) { store in
            try await eventually { try await store.inboxRows(limit: 10).first?.status == .completed }
        }
        server.signal(SIGTERM)
        #expect(await server.waitForExit() == 0)
        let rows = try await StoreFactory.withStore(database, logger: Logger(label: "test")) { try await $0.inboxRows(limit: 10) }
        #expect(rows.map(\.dedupeKey) == ["event|helpdesk|id:evt_quickstart"])
        let processed = try await StoreFactory.withStore(database, logger: Logger(label: "test")) { try await $0.tableRows(.processingResults, limit: 10) }
        #expect(processed.first?["status"]?.stringValue == "completed")
    }

    @Test("mailhook subscriptions list|create|renew|delete against Graph, with no secret in the output")
    func subscriptionsCommand() async throws {
        let secret = "cli-graph-secret-4r5t6y"
        try await FakeGraph.with(clientSecret: secret) { graph in
            let port = try freePort()
            let directory = Self.workspace(database: .init(url: .sqlite(path: "data/mailhook.sqlite")))
            let config = """
                {"server": {"port": \(port), "publicBaseUrl": "http://127.0.0.1:\(port)"}, "database": {"url": "sqlite://data/mailhook.sqlite"},
                 "graph": {"tenantId": "tenant-1", "clientId": "client-1", "clientSecret": "${GRAPH_SECRET}", "authorityHost": "\(graph.authorityHost)",
                           "baseUrl": "\(graph.graphBaseURL)", "mailboxes": ["alice@example.com"]}}
                """
            try Data(config.utf8).write(to: directory.appendingPathComponent("Config/mailhook.json"))
            let env = ["GRAPH_SECRET": secret, "HELPDESK_SECRET": "s"]
            let server = try MailHookProcess(arguments: ["serve"], environment: env, directory: directory)
            _ = try await server.waitUntilListening()
            try await eventually { graph.subscriptions.count == 1 }
            let id = graph.subscriptions[0].id

            let (listStatus, list, listErr) = try await MailHookProcess.run(["subscriptions", "list"], environment: env, directory: directory)
            #expect(listStatus == 0, "\(listErr)")
            #expect(list.contains("alice@example.com\t\(id)\tactive"))
            let (createStatus, create, _) = try await MailHookProcess.run(["subscriptions", "create"], environment: env, directory: directory)
            #expect(createStatus == 0)
            #expect(create.contains("alice@example.com\treused"))
            let (renewStatus, renew, _) = try await MailHookProcess.run(["subscriptions", "renew"], environment: env, directory: directory)
            #expect(renewStatus == 0)
            #expect(renew.contains("renewed"))
            let (deleteStatus, delete, _) = try await MailHookProcess.run(["subscriptions", "delete"], environment: env, directory: directory)
            #expect(deleteStatus == 0)
            #expect(delete.contains("deleted 1 subscription"))
            #expect(graph.subscriptions.isEmpty)
            server.signal(SIGTERM)
            #expect(await server.waitForExit() == 0)
            let clientStates = graph.calls(matching: "POST", pathPrefix: "/v1.0/subscriptions").compactMap { $0.json?["clientState"]?.stringValue }
            #expect(!clientStates.isEmpty)
            for text in [list, create, renew, delete, listErr, server.stderr] {
                for value in [secret, "fake-token-"] + clientStates { #expect(!text.contains(value)) }
            }
        }
    }

    @Test("mailhook classify: local and LLM classifiers, PII removed before the LLM sees the text")
    func classifyCommand() async throws {
        let directory = Self.workspace(database: .init(url: .sqlite(path: "data/x.sqlite")))
        let email = #"{"message": {"from": {"address": "ann@zgcompanies.com"}, "subject": "Quote for 20 laptops", "bodyText": "Please order 20 laptops. Card 4111 1111 1111 1111, SSN 123-45-6789, host 192.168.10.20."}}"#
        let file = directory.appendingPathComponent("email.json")
        try Data(email.utf8).write(to: file)
        let (status, out, err) = try await MailHookProcess.run(["classify", "--file", file.path], directory: directory)
        #expect(status == 0, "\(err)")
        let local = try JSONValue.parse(Array(out.utf8))
        #expect(local["classification"]?["category"]?.stringValue == "PURCHASING")
        #expect(local["classification"]?["model_used"]?.stringValue == LocalClassifier.trainedModelName, "the built-in model takes part by default")
        #expect(local["pii_found"] == .object(["card": .number(1), "ssn": .number(1), "ip": .number(1)]))
        #expect(local["routing"]?["decision"]?.stringValue != nil)

        try await FakeLLM.with(apiKey: "sk-test-key-9x8y7z") { llm in
            llm.mode = .good(category: .purchasing, urgency: .medium, confidence: 70, assessed: 91)
            let config = #"{"classifier": {"provider": "openai", "baseUrl": "\#(llm.baseURL)", "apiKey": "${LLM_KEY}", "model": "gpt-test"}}"#
            try Data(config.utf8).write(to: directory.appendingPathComponent("Config/mailhook.json"))
            let (status, out, err) = try await MailHookProcess.run(["classify", "--file", file.path], environment: ["LLM_KEY": "sk-test-key-9x8y7z"], directory: directory)
            #expect(status == 0, "\(err)")
            let result = try JSONValue.parse(Array(out.utf8))
            #expect(result["classification"]?["model_used"]?.stringValue == "gpt-test")
            #expect(result["classification"]?["confidence"] == .number(91), "the confidence pass decides the confidence")
            #expect(result["routing"]?["decision"]?.stringValue == "SUGGEST_RESPONSE")
            let prompts = llm.requests.map { "\($0.system ?? "") \($0.user ?? "")" }.joined()
            #expect(!prompts.isEmpty)
            for planted in ["4111 1111 1111 1111", "123-45-6789", "192.168.10.20", "ann@zgcompanies.com"] {
                #expect(!prompts.contains(planted), "\(planted) reached the LLM")
            }
            #expect(!out.contains("sk-test-key") && !err.contains("sk-test-key"))
        }
    }

    @Test("check-config prints the resolved configuration with secrets as ***")
    func checkConfig() async throws {
        let directory = Self.workspace(database: .init(url: .sqlite(path: "data/x.sqlite")))
        let env = ["HELPDESK_SECRET": "hmac-secret-do-not-print", "GRAPH_SECRET": "graph-secret-do-not-print"]
        try Data(#"{"graph": {"tenantId": "t-1", "clientId": "c-1", "clientSecret": "${GRAPH_SECRET}", "clientState": "state-do-not-print"}, "admin": {"token": "admin-token-do-not-print"}, "database": {"url": "postgres://u:dbpass-do-not-print@h:5432/d"}}"#.utf8)
            .write(to: directory.appendingPathComponent("Config/mailhook.json"))
        let (status, out, err) = try await MailHookProcess.run(["check-config"], environment: env, directory: directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains(#""clientSecret" : "***""#))
        #expect(out.contains(#""url" : "postgres://u:***@h:5432/d?sslmode=disable""#))
        for secret in ["hmac-secret", "graph-secret", "state-do-not", "admin-token", "dbpass"] {
            #expect(!out.contains(secret) && !err.contains(secret), "\(secret) printed")
        }
    }

    @Test("bad configuration: the process refuses to start with one line naming the key")
    func badConfiguration() async throws {
        let directory = Self.workspace(database: .init(url: .sqlite(path: "data/x.sqlite")))
        // Unset ${HELPDESK_SECRET} in an enabled endpoint.
        let (status, _, err) = try await MailHookProcess.run(["serve"], directory: directory)
        #expect(status != 0)
        let lines = err.split(separator: "\n")
        #expect(lines.count == 1, "\(err)")
        #expect(err.contains("webhook_endpoints[0].authentication.secret: environment variable HELPDESK_SECRET is not set"))

        try Data(#"{"server": {"port": "eighty"}}"#.utf8).write(to: directory.appendingPathComponent("Config/mailhook.json"))
        let (status2, _, err2) = try await MailHookProcess.run(["check-config"], environment: ["HELPDESK_SECRET": "s"], directory: directory)
        #expect(status2 != 0)
        #expect(err2.contains("server.port"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data").path), "nothing was created")

        try Data(#"{"server": {"tls": {"certificateFile": "missing.pem", "privateKeyFile": "missing-key.pem"}}}"#.utf8)
            .write(to: directory.appendingPathComponent("Config/mailhook.json"))
        let (status3, _, err3) = try await MailHookProcess.run(["serve"], environment: ["HELPDESK_SECRET": "s"], directory: directory)
        #expect(status3 != 0)
        #expect(err3.contains("server.tls.certificateFile"))
    }

    @Test("migrate applies the schema and is idempotent (SQLite)")
    func migrateSQLite() async throws { try await migrate(.sqlite) }

    @Test("migrate applies the schema and is idempotent (PostgreSQL)", .postgres)
    func migratePostgres() async throws { try await migrate(.postgres) }

    func migrate(_ database: TestDatabase) async throws {
        let db = try await database.makeDatabase()
        let directory = Self.workspace(database: db)
        let (status, out, err) = try await MailHookProcess.run(["migrate"], environment: ["HELPDESK_SECRET": "s"], directory: directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("applied: 0001_initial"))
        let (again, out2, _) = try await MailHookProcess.run(["migrate"], environment: ["HELPDESK_SECRET": "s"], directory: directory)
        #expect(again == 0)
        #expect(out2.contains("up to date"))
    }
}

/// What the crash test's clients saw: the events acknowledged with a 2xx, and whether the kill happened.
final class AckLog: Sendable {
    let acked = Mutex<[String]>([])
    let killed = Atomic<Bool>(false)
}
