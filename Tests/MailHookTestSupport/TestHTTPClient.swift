import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The client the tests talk through: like `.shared`, but without an idle read timeout.
    /// AsyncHTTPClient's idle-read state machine trapped the whole test process once under the full
    /// suite ("Waiting for response data must start after request head was sent"); the tests bound
    /// their own waits, as MailHook bounds its calls.
    public static let test: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
