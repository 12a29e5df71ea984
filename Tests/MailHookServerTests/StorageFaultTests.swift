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

/// The database going away under the real binary: PostgreSQL restarted under load, and the disk
/// of the SQLite file filling up. Intake answers 503 while it cannot store, recovers by itself,
/// and nothing it acknowledged is lost or stored twice.
@Suite("Storage faults end to end")
struct StorageFaultTests {
    /// What the load clients saw.
    final class Tally: Sendable {
        let acked = Mutex<[String]>([])
        let statuses = Mutex<[Int: Int]>([:])
        /// Requests that got no answer, by error.
        let errors = Mutex<[String: Int]>([:])
        let stop = Atomic<Bool>(false)

        var ackCount: Int { acked.withLock { $0.count } }
        func count(_ status: Int) -> Int { statuses.withLock { $0[status, default: 0] } }
    }

    /// `clients` posting signed events with `bodyBytes` of text until `tally.stop` is set, on a
    /// client of their own whose connect timeout and 15 s time limit end any request the server leaves hanging.
    static func load(port: Int, clients: Int, bodyBytes: Int = 0, tally: Tally) -> Task<Void, Never> {
        Task {
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(2))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { _ = client.shutdown() }
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<clients {
                    group.addTask {
                        var n = 0
                        while !tally.stop.load(ordering: .relaxed) {
                            let id = "evt-\(worker)-\(n)"
                            n += 1
                            let status: Int
                            do {
                                status = try await post(client, port: port, id: id, bodyBytes: bodyBytes)
                            } catch {
                                tally.errors.withLock { $0[String(describing: error).prefix(120).description, default: 0] += 1 }
                                try? await Task.sleep(for: .milliseconds(50))
                                continue
                            }
                            tally.statuses.withLock { $0[status, default: 0] += 1 }
                            if (200..<300).contains(status) { tally.acked.withLock { $0.append(id) } }
                            if status >= 500 { try? await Task.sleep(for: .milliseconds(50)) }
                        }
                    }
                }
            }
        }
    }

    static func post(_ client: HTTPClient, port: Int, id: String, bodyBytes: Int) async throws -> Int {
        let padding = String(repeating: "The printer on floor 3 is jammed again. ", count: max(0, bodyBytes / 40))
        let body = #"{"id":"\#(id)","type":"email.received","message":{"id":"msg-\#(id)","from":{"address":"alice@zgcompanies.com"},"subject":"Printer jammed","bodyText":"\#(padding)","receivedAt":"2026-01-15T09:30:00Z"}}"#
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/email")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let (name, value) = Signing.hmacHeader(body, secret: ProcessTests.secret)
        request.headers.add(name: name, value: value)
        request.body = .bytes(ByteBuffer(string: body))
        let prepared = request
        return try await withTimeLimit(.seconds(15)) {
            let response = try await client.execute(prepared, timeout: .seconds(15))
            _ = try await response.body.collect(upTo: 1 << 16)
            return Int(response.status.code)
        }
    }

    static func ready(port: Int) async throws -> Int {
        let response = try await HTTPClient.test.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready"), timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    /// Every acknowledged event is stored exactly once.
    static func verify(_ db: MailHookConfiguration.Database, acknowledged: [String]) async throws {
        let rows = try await StoreFactory.withStore(db, logger: Logger(label: "test")) { try await $0.inboxRows(limit: 1_000_000) }
        let keys = rows.map(\.dedupeKey)
        #expect(Set(keys).count == keys.count, "no event stored twice")
        let stored = Set(keys)
        let missing = acknowledged.filter { !stored.contains("event|helpdesk|id:\($0)") }
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")
    }

    // MARK: PostgreSQL restarted under load

    @Test("PostgreSQL restarted under load: intake answers 503 while it is down, recovers by itself, nothing acknowledged is lost", .postgres)
    func postgresRestart() async throws {
        let cluster = try await ScratchPostgres.start()
        do {
            try await postgresRestart(cluster)
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }

    func postgresRestart(_ cluster: ScratchPostgres) async throws {
        let db = try cluster.database
        let directory = ProcessTests.workspace(database: db)
        let server = try MailHookProcess(arguments: ["serve"], environment: ["HELPDESK_SECRET": ProcessTests.secret], directory: directory)
        let port = try await server.waitUntilListening()
        let tally = Tally()
        let load = Self.load(port: port, clients: 8, tally: tally)

        // pg_ctl restart -m fast, in two steps so the test sees the down time: sessions are cut,
        // the server is gone for a while, then it is back on the same port.
        try await eventually(timeout: .seconds(60)) { tally.ackCount >= 200 }
        try await cluster.stopServer()
        try await eventually(timeout: .seconds(60)) { tally.count(503) >= 5 }
        #expect(try await Self.ready(port: port) == 503)
        try await cluster.resumeServer()
        let before = tally.ackCount
        try await eventually(timeout: .seconds(60)) { tally.ackCount >= before + 200 }
        tally.stop.store(true, ordering: .relaxed)
        await load.value
        #expect(try await Self.ready(port: port) == 200)

        // The pipeline catches up with what was stored around the restart (statements cut off
        // by the restart are abandoned after the 30 s statement timeout, then retried).
        try await StoreFactory.withStore(db, logger: Logger(label: "test")) { store in
            try await eventually(timeout: .seconds(90)) { try await store.inboxRows(limit: 100_000).allSatisfy { $0.status == .completed } }
        }
        server.signal(SIGTERM)
        #expect(await server.waitForExit() == 0)
        let statuses = tally.statuses.withLock { $0 }
        #expect(Set(statuses.keys).isSubset(of: [200, 202, 503]), "\(statuses)")
        try await Self.verify(db, acknowledged: tally.acked.withLock { $0 })
    }

    // MARK: The SQLite file's disk full

    @Test(
        "the SQLite file's disk full: intake answers 503, the database stays intact, and it recovers once space returns",
        .enabled("mounting a small tmpfs needs root with CAP_SYS_ADMIN") { await SmallFilesystem.canMount() })
    func sqliteDiskFull() async throws {
        let filesystem = try await SmallFilesystem.mount(megabytes: 3)
        do {
            try await sqliteDiskFull(filesystem)
        } catch {
            await filesystem.unmount()
            throw error
        }
        await filesystem.unmount()
    }

    func sqliteDiskFull(_ filesystem: SmallFilesystem) async throws {
        let path = filesystem.path + "/mailhook.sqlite"
        let db = MailHookConfiguration.Database(url: .sqlite(path: path))
        let directory = ProcessTests.workspace(database: db)
        let server = try MailHookProcess(arguments: ["serve"], environment: ["HELPDESK_SECRET": ProcessTests.secret], directory: directory)
        let port = try await server.waitUntilListening()
        let tally = Tally()
        let load = Self.load(port: port, clients: 4, bodyBytes: 16_000, tally: tally)

        try await eventually(timeout: .seconds(120)) { tally.count(503) >= 10 }
        let full = tally.ackCount
        #expect(full > 0)
        try await filesystem.resize(megabytes: 256)
        try await eventually(timeout: .seconds(60)) { tally.ackCount >= full + 50 }
        tally.stop.store(true, ordering: .relaxed)
        await load.value
        #expect(try await Self.ready(port: port) == 200)
        server.signal(SIGTERM)
        #expect(await server.waitForExit() == 0, "the process kept running through the full disk")

        let statuses = tally.statuses.withLock { $0 }
        #expect(Set(statuses.keys).isSubset(of: [200, 202, 503]), "\(statuses)")
        let check = try await SQLiteDatabase.open(path: path, logger: Logger(label: "test"))
        let integrity = try await check.read("PRAGMA integrity_check").compactMap { $0.string("integrity_check") }
        try await check.close()
        #expect(integrity == ["ok"])
        try await Self.verify(db, acknowledged: tally.acked.withLock { $0 })
    }
}
