import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An HTTP server on 127.0.0.1 (a free port) around one responder: the transport the test doubles
/// (fake Graph, fake LLM) share.
public final class LoopbackServer: Sendable {
    public let port: Int
    private let name: String
    private let group: ServiceGroup
    private let task: Mutex<Task<Void, any Error>?>

    private init(name: String, port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.name = name
        self.port = port
        self.group = group
        self.task = Mutex(task)
    }

    public typealias Respond = @Sendable (Request) async -> Response

    /// Starts the server and returns once it listens; call ``stop()`` when done.
    public static func start(name: String, logger: Logger, respond: @escaping Respond) async throws -> LoopbackServer {
        let (group, ports, continuation) = makeGroup(name: name, logger: logger, respond: respond)
        let task = Task { try await run(group, finishing: continuation) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw TestSupportError("\(name) stopped before it listened")
        }
        return LoopbackServer(name: name, port: port, group: group, task: task)
    }

    /// Shuts the server down gracefully (again: nothing); throws when that takes over a minute.
    public func stop() async throws {
        guard let running = task.withLock({ current -> Task<Void, any Error>? in
            defer { current = nil }
            return current
        }) else { return }
        await group.triggerGracefulShutdown()
        try await withDeadline(.seconds(60), "the \(name) shutdown") { try await running.value }
    }

    /// Runs `body` with the port of a started server and shuts it down afterwards, also when `body` throws.
    public static func with<T>(
        name: String, logger: Logger, respond: @escaping Respond, isolation: isolated (any Actor)? = #isolation,
        _ body: (Int) async throws -> T
    ) async throws -> T {
        let server = try await start(name: name, logger: logger, respond: respond)
        let value: T
        do {
            value = try await body(server.port)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
        return value
    }

    private static func makeGroup(name: String, logger: Logger, respond: @escaping Respond)
        -> (ServiceGroup, AsyncStream<Int>, AsyncStream<Int>.Continuation)
    {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in await respond(request) },
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        return (ServiceGroup(services: [app], logger: logger), ports, continuation)
    }

    /// Finishes the port stream however the group ends, so a failed bind does not hang the caller.
    private static func run(_ group: ServiceGroup, finishing continuation: AsyncStream<Int>.Continuation) async throws {
        defer { continuation.finish() }
        try await group.run()
    }
}
