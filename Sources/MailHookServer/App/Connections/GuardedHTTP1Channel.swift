import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 child channel with MailHook's connection guards around it: a cap on
/// open connections, a deadline for request heads (slow-header connections are closed), and an
/// immediate 501 for methods MailHook never serves. Header size and count limits are the HTTP
/// decoder's (a request over them gets 400 and the connection is closed).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let deadline = HeaderDeadline()
            let operations = channel.pipeline.syncOperations
            try operations.addHandler(ConnectionAdmissionHandler(limits: limits, deadline: deadline), position: .first)
            let codec = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            try operations.addHandler(RequestBoundaryHandler(deadline: deadline), position: .after(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the connection guards.
    static func guardedHTTP1(configuration: HTTP1Channel.Configuration, limits: ConnectionLimits) -> HTTPServerBuilder {
        .init { responder in
            GuardedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration), limits: limits)
        }
    }
}
