import MailHookCore

/// A failed Graph or token call: Graph's error code and request id, never the token or a secret.
public struct GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Graph answered with a non-success status.
        case http
        /// No answer: connection refused, reset, timed out.
        case transport
        /// The circuit breaker is open; the call was not attempted.
        case circuitOpen = "circuit_open"
        /// The answer could not be understood.
        case decoding
        /// Getting an access token failed.
        case authentication
    }

    public var kind: Kind
    public var status: Int?
    public var code: String
    public var message: String
    public var requestId: String?

    /// Code, message and request id come from Graph's or Entra's answer: outside input, so they are
    /// cut here to what a log line or a stored error can carry.
    public init(kind: Kind, status: Int? = nil, code: String, message: String, requestId: String? = nil) {
        self.kind = kind
        self.status = status
        self.code = code.clipped(to: Self.codeLimit)
        self.message = message.clipped(to: Self.messageLimit)
        self.requestId = requestId.map { $0.clipped(to: Self.codeLimit) }
    }

    static let codeLimit = 100
    static let messageLimit = 500

    public var description: String {
        var text = "Graph \(kind.rawValue) error"
        if let status { text += " \(status)" }
        text += " \(code): \(message)"
        if let requestId { text += " (request-id \(requestId))" }
        return text
    }

    public var isNotFound: Bool { status == 404 }
}
