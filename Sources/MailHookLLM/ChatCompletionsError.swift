/// A failed chat-completions call: what failed, the provider's error code and a short message.
/// Built so it can go into logs and `error_message` as is: it never holds the API key (the
/// provider's own message is dropped for 401/403, which often quote the key, and any copy of the
/// key elsewhere is masked).
public struct ChatCompletionsError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The provider answered with a non-success status.
        case http
        /// The connection failed part way (reset, TLS): worth another attempt.
        case transport
        /// No connection could be made (refused, no route, no such host): not retried.
        case unreachable
        /// Not sent: the endpoint's circuit breaker is open after repeated failures.
        case circuitOpen = "circuit_open"
        /// No complete answer within the configured timeout.
        case timeout
        /// A success status whose body is not a chat completion with text content.
        case invalidResponse = "invalid_response"
        /// The caller's task was cancelled.
        case cancelled
    }

    public var kind: Kind
    public var status: Int?
    /// The provider's `error.code` or `error.type` (`rate_limit_exceeded`, `invalid_api_key`).
    public var code: String?
    public var message: String
    /// Attempts made, the failing one included.
    public var attempts: Int

    public init(kind: Kind, status: Int? = nil, code: String? = nil, message: String, attempts: Int = 1) {
        self.kind = kind
        self.status = status
        self.code = code
        self.message = message
        self.attempts = attempts
    }

    public var description: String {
        var text = "LLM \(kind.rawValue) error"
        if let status { text += " \(status)" }
        if let code { text += " (\(code))" }
        if !message.isEmpty { text += ": \(message)" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }
}
