import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One raw TCP connection to a test server, for sending bytes by hand (slow headers, methods a
/// client library will not send) and seeing when the server closes it.
public final class RawConnection: Sendable {
    private let channel: any Channel
    private let received = Mutex(ByteBuffer())
    private let closedAt = Mutex<ContinuousClock.Instant?>(nil)
    public let openedAt = ContinuousClock.now

    public static func open(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let connection = RawConnection(channel: channel)
        collector.connection.withLock { $0 = connection }
        channel.closeFuture.whenComplete { _ in connection.closedAt.withLock { $0 = .now } }
        return connection
    }

    private init(channel: any Channel) {
        self.channel = channel
    }

    public func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    public var isClosed: Bool { closedAt.withLock { $0 } != nil }
    /// When the connection ended (the server closed it, or `close()`).
    public var closed: ContinuousClock.Instant? { closedAt.withLock { $0 } }
    public var response: String { received.withLock { String(buffer: $0) } }

    public func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let connection = Mutex<RawConnection?>(nil)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            _ = connection.withLock { owner in owner?.received.withLock { $0.writeBuffer(&buffer) } }
        }
    }
}
