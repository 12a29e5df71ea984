import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore

/// A user's (delegated) tokens from a refresh token, for what app-only tokens cannot do: posting
/// into Teams chats. Entra may rotate the refresh token on each use; the newest one is kept (in
/// memory: a restart starts again from the configured one, which stays valid for its lifetime).
public actor DelegatedTokenProvider: GraphTokenSource {
    public struct Credentials: Sendable {
        public var authorityHost: String
        public var tenantId: String
        public var clientId: String
        public var clientSecret: Secret
        public var refreshToken: Secret
        /// e.g. `https://graph.microsoft.com/.default offline_access`
        public var scope: String

        public init(authorityHost: String, tenantId: String, clientId: String, clientSecret: Secret, refreshToken: Secret, scope: String) {
            self.authorityHost = authorityHost
            self.tenantId = tenantId
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.refreshToken = refreshToken
            self.scope = scope
        }
    }

    private var credentials: Credentials
    private let httpClient: HTTPClient
    private let logger: Logger
    private var cached: (value: String, refreshAt: ContinuousClock.Instant)?
    private var inFlight: Task<(String, Double, String?), any Error>?

    public init(credentials: Credentials, httpClient: HTTPClient, logger: Logger) {
        self.credentials = credentials
        self.httpClient = httpClient
        self.logger = logger
    }

    public func token() async throws -> String {
        if let cached, ContinuousClock.now < cached.refreshAt { return cached.value }
        if let inFlight { return try await inFlight.value.0 }
        let c = credentials
        let task = Task { [httpClient, logger] in
            try await TokenProvider.requestToken(
                authorityHost: c.authorityHost, tenantId: c.tenantId,
                form: [("client_id", c.clientId), ("scope", c.scope), ("grant_type", "refresh_token"),
                       ("refresh_token", c.refreshToken.value), ("client_secret", c.clientSecret.value)],
                client: httpClient, logger: logger)
        }
        inFlight = task
        defer { inFlight = nil }
        let (access, lifetime, rotated) = try await task.value
        if let rotated, !rotated.isEmpty { credentials.refreshToken = Secret(rotated) }
        cached = (access, .now + .milliseconds(Int((lifetime - min(300, lifetime / 2)) * 1000)))
        logger.debug("obtained a delegated Graph token", metadata: ["mailhook.token.lifetime": "\(Int(lifetime))"])
        return access
    }

    public func invalidate(_ refused: String) {
        if cached?.value == refused { cached = nil }
    }
}
