import AsyncHTTPClient
import NIOCore

extension HTTPClient.Configuration {
    /// For calls to the LLM endpoint. AsyncHTTPClient's default keeps retrying a refused connection
    /// until the connect timeout (10 s), per attempt: with the LLM down that cost every email half a
    /// minute before the fallback decided. Here a connection that cannot be made fails the call at
    /// once; ``ChatCompletionsClient`` does not retry it and its circuit breaker stops trying for a while.
    public static func llmEndpoint(connectionsPerHost: Int = 16) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        // No idle read timeout: each call bounds itself (see ``ChatCompletionsClient``).
        configuration.timeout = .init(connect: .seconds(5))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connectionsPerHost)
        return configuration
    }
}
