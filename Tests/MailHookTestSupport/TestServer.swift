import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MailHookCore
import MailHookGraph
import MailHookLLM
import MailHookServer
import MailHookStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A real MailHook server on 127.0.0.1 (a free port) over a fresh database, for the length of a
/// test. Requests go through the real HTTP stack with AsyncHTTPClient.
public struct TestServer: Sendable {
    public let port: Int
    public let store: SQLStore
    public let metrics: ServerMetrics
    public let database: TestDatabase
    public let client: HTTPClient
    public let scheme: String
    /// The application under test (Graph parts included when configured).
    public let application: MailHookApplication
    public let configuration: MailHookConfiguration

    public var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    /// A change to the configuration a test server starts with.
    public typealias Configure = @Sendable (inout MailHookConfiguration) -> Void

    /// Starts the server, runs `body`, then shuts everything down gracefully.
    ///
    /// The configuration starts from `configJSON` (only for tests of the file format: `${VAR}`
    /// interpolation against `environment`) or the defaults; with a fake `graph` its `graph`
    /// section and `server.publicBaseUrl` point at the fake and this server; then `configure`
    /// changes what the test needs.
    public static func run<T: Sendable>(
        database: TestDatabase,
        configJSON: String? = nil,
        configure: Configure = { _ in },
        integrationsJSON: String = #"{"webhook_endpoints": []}"#,
        environment: [String: String] = [:],
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        client: HTTPClient = .test,
        now: @escaping @Sendable () -> Date = { Date() },
        wrapDatabase: @Sendable (any SQLDatabase) -> any SQLDatabase = { $0 },
        databaseConfig: MailHookConfiguration.Database? = nil,
        graph: FakeGraph? = nil,
        port fixedPort: Int? = nil,
        publicPort: Int? = nil,
        classifier: (any EmailClassifier)? = nil,
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        // A port chosen before the server starts (for the fake Graph's callbacks) can be taken by
        // another process before the server binds it: then the start is tried on another port.
        var attempt = 0
        while true {
            attempt += 1
            var config = try configJSON.map { try MailHookConfiguration(root: try JSONValue.parse(Array($0.utf8)), environment: environment) }
                ?? .defaults()
            var port = 0
            if let graph {
                // Graph calls back the public URL, so the port is chosen before the server starts.
                port = try fixedPort ?? freePort()
                config.graph = graph.settings()
                config.server.publicBaseUrl = "http://127.0.0.1:\(publicPort ?? port)"
            }
            configure(&config)
            try config.validate()
            config.server.port = port
            if let databaseConfig { config.database = databaseConfig } else { config.database = try await database.makeDatabase() }
            let integrations = try IntegrationsConfiguration(root: try JSONValue.parse(Array(integrationsJSON.utf8)), environment: environment)
            let (realStore, storeServices) = try await StoreFactory.open(config.database, logger: logger, now: now)
            let store = SQLStore(database: wrapDatabase(realStore.database), now: now)
            let metrics = ServerMetrics()
            let graphClient = try GraphClient.make(configuration: config.graph, httpClient: client, logger: logger)
            let mailhook = MailHookApplication(
                configuration: config, integrations: integrations, store: store, metrics: metrics, graph: graphClient, httpClient: client,
                classifier: classifier, logger: logger, now: now)
            let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let app = try mailhook.makeApplication(storeServices: storeServices) { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            }
            let group = ServiceGroup(services: [app], logger: logger)
            let scheme = config.server.tls == nil ? "http" : "https"
            let finalConfig = config
            // Unstructured, so a shutdown that never ends can be given up on (see `withDeadline`); the port
            // stream ends with the group, so a server that fails to start fails the test instead of hanging it.
            let running = Task {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next() else {
                let outcome = await running.result
                try? await store.close()
                if graph != nil, fixedPort == nil, attempt < 5, "\(outcome)".contains("Address already in use") { continue }
                throw TestSupportError("the server did not start: \(outcome)")
            }
            let server = TestServer(
                port: port, store: store, metrics: metrics, database: database, client: client, scheme: scheme, application: mailhook,
                configuration: finalConfig)
            let result: Result<T, any Error>
            do { result = .success(try await body(server)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            var stopFailure: (any Error)?
            do { try await withDeadline(.seconds(60), "the server's graceful shutdown") { try await running.value } } catch { stopFailure = error }
            try? await store.close()
            let value = try result.get()
            if let stopFailure { throw stopFailure }
            return value
        }
    }

    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: String

        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    /// POSTs `body` to `path` and collects the answer.
    public func post(_ path: String, body: [UInt8], headers: [(String, String)] = [("Content-Type", "application/json")]) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await execute(request)
    }

    public func post(_ path: String, body: String, headers: [(String, String)] = [("Content-Type", "application/json")]) async throws -> Reply {
        try await post(path, body: Array(body.utf8), headers: headers)
    }

    public func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await execute(request)
    }

    public func execute(_ request: HTTPClientRequest) async throws -> Reply {
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// Waits until the Graph sync subscribed and ran its startup delta round (at once without Graph).
    public func graphSyncStarted(limit: Duration = .seconds(60)) async throws {
        guard let sync = application.graphSync else { return }
        try await withDeadline(limit, "the Graph sync's startup") { await sync.started.wait() }
    }

    /// The current value of a Prometheus series (0 when absent), e.g.
    /// `mailhook_notifications_total{source="graph",outcome="accepted"}`.
    public func metric(_ series: String) -> Double {
        for line in metrics.emit().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }
}

/// A TCP port nothing listens on right now (bound to port 0, read, released).
public func freePort() throws -> Int {
    // Below Linux's ephemeral range (32768 and up), which every outgoing connection of the suite
    // (database pools, HTTP clients) draws from: a port picked there can be taken by one of them
    // before the server binds it.
    for _ in 0..<20 {
        if let (fd, port) = try? boundLoopbackSocket(port: UInt16.random(in: 20_000...32_000)) {
            close(fd)
            return port
        }
    }
    let (fd, port) = try boundLoopbackSocket()
    close(fd)
    return port
}

/// A loopback port that refuses every connection while `body` runs: a socket is bound to it and
/// never listens, so nothing else (another test's server) can take the port meanwhile.
public func withRefusingPort<T>(_ body: (Int) async throws -> T) async throws -> T {
    let (fd, port) = try boundLoopbackSocket()
    defer { close(fd) }
    return try await body(port)
}

/// A TCP socket bound to 127.0.0.1 on `port` (0: one the system chooses), and that port.
func boundLoopbackSocket(port: UInt16 = 0) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { close(fd); throw TestSupportError("bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard named == 0 else { close(fd); throw TestSupportError("getsockname() failed") }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout` (generous: the whole
/// suite runs at once on as few as two cores, and only a failing test ever waits it out).
public func eventually(timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestSupportError("condition not met within \(timeout)")
}
