import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// The header deadline of one connection, shared by its two guard handlers on the connection's
/// event loop: the first byte of a request arms it, the parsed request head disarms it, the end of
/// the response makes the connection idle again (idle connections are the idle timeout's business).
final class HeaderDeadline {
    enum Phase { case idle, readingHead, inRequest }

    var phase = Phase.idle
    var timer: Scheduled<Void>?
    /// A request's end not yet read, or its response's end not yet written: the connection is
    /// between requests only when both are done (an early answer, such as a 401 before the body,
    /// leaves the rest of the body still to come).
    var requestOpen = false
    var responseOpen = false

    func settle() {
        if !requestOpen && !responseOpen { phase = .idle }
    }

    func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// First in the pipeline, before TLS and HTTP decoding: admits the connection under
/// `server.maxConnections` and arms the header deadline when a request starts to arrive.
final class ConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private let deadline: HeaderDeadline
    private var counted = false

    init(limits: ConnectionLimits, deadline: HeaderDeadline) {
        self.limits = limits
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !counted else { return }
        if limits.admit() {
            counted = true
        } else {
            // Over the limit: the connection is closed before a byte of it is read.
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            limits.release()
        }
        deadline.disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted {
            counted = false
            limits.release()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline.phase == .idle {
            deadline.phase = .readingHead
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let nanoseconds = Int64(limits.headerTimeout / .nanoseconds(1))
            deadline.timer = context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) {
                // Slow headers (slowloris): the connection goes, nothing was processed.
                bound.value.close(promise: nil)
            }
        }
        context.fireChannelRead(data)
    }
}

/// After HTTP decoding: the request head disarms the deadline; the response's end makes the
/// connection idle again. CONNECT (a tunnel, which MailHook never makes) is answered 501 at once
/// and the connection closed, before any route sees it; every other method goes on to the router,
/// which answers 405 with the path's `Allow` when the path exists (TRACE is never echoed).
final class RequestBoundaryHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadline: HeaderDeadline
    private var refusing = false

    init(deadline: HeaderDeadline) {
        self.deadline = deadline
    }

    static let refused: Set<HTTPRequest.Method> = [.connect]

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if refusing { return }
        if case .end = part {
            deadline.requestOpen = false
            deadline.settle()
        }
        if case .head(let head) = part {
            deadline.disarm()
            deadline.phase = .inRequest
            deadline.requestOpen = true
            deadline.responseOpen = true
            guard !Self.refused.contains(head.method) else {
                refusing = true
                let response = HTTPResponse(status: .notImplemented, headerFields: [.connection: "close", .contentLength: "0"])
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
                return
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            deadline.responseOpen = false
            deadline.settle()
        }
        context.write(data, promise: promise)
    }
}
