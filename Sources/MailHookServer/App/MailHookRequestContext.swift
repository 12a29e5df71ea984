import Hummingbird
import NIOCore

/// Request context that keeps the connection's channel, so an oversize or stalled upload can be
/// cut off (the connection closed right after the 413/408 is written) instead of drained.
public struct MailHookRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Turns an ``IntakeError`` that asks for it into a response followed by closing the connection.
struct CutOffMiddleware: RouterMiddleware {
    typealias Context = MailHookRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as IntakeError where error.closeConnection {
            var response = try error.response(from: request, context: context)
            let channel = context.channel
            let body = ByteBuffer(string: error.jsonBody)
            // The close is queued on the channel's event loop after the body's write and flush, so the
            // client receives the whole answer and then the end of the connection.
            response.body = ResponseBody(contentLength: body.readableBytes) { writer in
                try await writer.write(body)
                channel.eventLoop.execute { channel.close(promise: nil) }
            }
            return response
        }
    }
}
