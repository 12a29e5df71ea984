import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MailHookCore
import MailHookServer
import MailHookStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// A real MailHook server on 127.0.0.1 (a free port) over a fresh database, for the length of a
/// test. Requests go through the real HTTP stack with AsyncHTTPClient.
public struct TestServer: Sendable {
    public let port: Int
    public let store: any MailHookStore
    public let metrics: ServerMetrics
    public let database: TestDatabase
    public let client: HTTPClient
    public let scheme: String

    public var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Starts the server, runs `body`, then shuts everything down gracefully.
    public static func run<T: Sendable>(
        database: TestDatabase,
        configJSON: String = "{}",
        integrationsJSON: String = #"{"webhook_endpoints": []}"#,
        environment: [String: String] = [:],
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        client: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = { Date() },
        wrapStore: @Sendable (any MailHookStore) -> any MailHookStore = { $0 },
        _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        var config = try MailHookConfiguration(root: try JSONValue.parse(Array(configJSON.utf8)), environment: environment)
        config.server.port = 0
        config.database = try await database.makeDatabase()
        let integrations = try IntegrationsConfiguration(root: try JSONValue.parse(Array(integrationsJSON.utf8)), environment: environment)
        let (realStore, storeServices) = try await StoreFactory.open(config.database, logger: logger)
        let store = wrapStore(realStore)
        let metrics = ServerMetrics()
        let mailhook = MailHookApplication(configuration: config, integrations: integrations, store: store, metrics: metrics, logger: logger, now: now)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = try mailhook.makeApplication(storeServices: storeServices) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(services: [app], logger: logger)
        let scheme = config.server.tls == nil ? "http" : "https"
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = portStream.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestSupportError("the server did not start") }
            let server = TestServer(port: port, store: store, metrics: metrics, database: database, client: client, scheme: scheme)
            do {
                let value = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try await store.close()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                try? await store.close()
                throw error
            }
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

    /// The current value of a Prometheus series (0 when absent), e.g.
    /// `mailhook_notifications_total{source="graph",outcome="accepted"}`.
    public func metric(_ series: String) -> Double {
        for line in metrics.emit().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }
}
