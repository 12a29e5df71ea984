import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import NIOCore
import NIOHTTP1

/// Where a Graph call gets its bearer token: the app's own (client credentials) or a user's
/// (delegated, for posting into Teams chats).
public protocol GraphTokenSource: Sendable {
    func token() async throws -> String
    /// Forgets a token Graph refused, so the next call fetches a new one.
    func invalidate(_ refused: String) async
}

/// Graph tokens cached until a few minutes before they expire; however many callers ask at once,
/// one token request is made (single flight). App-only tokens come from the client-credentials
/// flow; with a user's refresh token, delegated tokens come from the refresh-token grant (Entra
/// may rotate the refresh token on each use: the newest is used from then on, and kept across
/// restarts by a ``RefreshTokenKeeper`` when one is given).
public actor TokenProvider: GraphTokenSource {
    public struct Credentials: Sendable {
        public var authorityHost: String
        public var tenantId: String
        public var clientId: String
        /// How the app proves who it is: a client secret, or a certificate.
        public var credential: ClientCredential
        /// e.g. `https://graph.microsoft.com/.default`
        public var scope: String
        /// A user's refresh token: the tokens are then delegated (the user's) instead of app-only.
        public var refreshToken: Secret?

        public init(
            authorityHost: String, tenantId: String, clientId: String, credential: ClientCredential, scope: String, refreshToken: Secret? = nil
        ) {
            self.authorityHost = authorityHost
            self.tenantId = tenantId
            self.clientId = clientId
            self.credential = credential
            self.scope = scope
            self.refreshToken = refreshToken
        }

        public init(authorityHost: String, tenantId: String, clientId: String, clientSecret: Secret, scope: String, refreshToken: Secret? = nil) {
            self.init(
                authorityHost: authorityHost, tenantId: tenantId, clientId: clientId, credential: .secret(clientSecret), scope: scope,
                refreshToken: refreshToken)
        }

        /// Entra's token endpoint for the tenant (a client assertion's audience).
        var tokenEndpoint: String { "\(authorityHost)/\(tenantId)/oauth2/v2.0/token" }
    }

    /// How the app authenticates to Entra.
    public enum ClientCredential: Sendable {
        case secret(Secret)
        case certificate(ClientCertificate)

        /// The form fields that prove the app's identity in one token request.
        func formFields(clientId: String, audience: String) throws -> [(String, String)] {
            switch self {
            case .secret(let secret):
                return [("client_secret", secret.value)]
            case .certificate(let certificate):
                let assertion: String
                do {
                    assertion = try certificate.assertion(clientId: clientId, audience: audience)
                } catch {
                    throw GraphError(kind: .authentication, code: "client_assertion_failed", message: "the client assertion could not be signed")
                }
                return [
                    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                    ("client_assertion", assertion),
                ]
            }
        }
    }

    private struct Token {
        let value: String
        let refreshAt: ContinuousClock.Instant
    }

    /// Where the newest refresh token is kept across restarts (delegated tokens only): Entra
    /// rotates it on use, and the configured one may have lapsed by the next start.
    public struct RefreshTokenKeeper: Sendable {
        /// The kept token, nil when none is kept; throws when it could not be read (looked for
        /// again on the next request).
        public var load: @Sendable () async throws -> String?
        public var save: @Sendable (String) async -> Void

        public init(load: @escaping @Sendable () async throws -> String?, save: @escaping @Sendable (String) async -> Void) {
            self.load = load
            self.save = save
        }
    }

    /// The credentials as configured; their refresh token is tried again when a kept one is refused.
    public nonisolated let configured: Credentials
    /// The refresh token the next request uses: the configured one until Entra rotates it or a
    /// kept one is found.
    private var refreshToken: Secret?
    private let keeper: RefreshTokenKeeper?
    /// Whether the kept refresh token was looked for yet (once, before the first request).
    private var keptLoaded = false
    private let httpClient: HTTPClient
    private let logger: Logger
    private var cached: Token?
    private var inFlight: Task<Fetched, any Error>?
    /// The token endpoint's own breaker: an Entra outage pauses token requests, not Graph's breaker.
    public let breaker: CircuitBreaker

    public init(
        credentials: Credentials, httpClient: HTTPClient, logger: Logger, breaker: CircuitBreaker = CircuitBreaker(failureThreshold: 3),
        keeper: RefreshTokenKeeper? = nil
    ) {
        self.configured = credentials
        self.refreshToken = credentials.refreshToken
        self.keeper = credentials.refreshToken == nil ? nil : keeper
        self.breaker = breaker
        self.httpClient = httpClient
        self.logger = logger
    }

    /// One token request's outcome: the token, and the refresh token to use next time.
    private struct Fetched: Sendable {
        let token: Token
        let refreshToken: String?
        /// The kept token could not be read: look for it again next time.
        var keptUnread = false
    }

    /// Whether a token is cached and not yet due for refresh (for `/ready`; never the token itself).
    public var hasUsableToken: Bool { cached.map { $0.refreshAt > .now } ?? false }

    /// A valid access token.
    public func token() async throws -> String {
        if let cached, ContinuousClock.now < cached.refreshAt { return cached.value }
        if let inFlight { return try await inFlight.value.token.value }
        guard breaker.allow() else {
            throw GraphError(kind: .circuitOpen, code: "token_circuit_open", message: "token requests are paused after repeated failures of the token endpoint")
        }
        let loadKept = !keptLoaded
        keptLoaded = true
        var credentials = configured
        credentials.refreshToken = refreshToken
        let task = Task { [credentials, configured, keeper, httpClient, logger] in
            try await Self.fetch(credentials, configured: configured.refreshToken, keeper: keeper, loadKept: loadKept, httpClient, logger)
        }
        inFlight = task
        defer { inFlight = nil }
        let fetched: Fetched
        do {
            fetched = try await task.value
            breaker.recordSuccess()
            if fetched.keptUnread { keptLoaded = false }
        } catch {
            // A request that failed did not use the kept token for good: look for it again.
            if loadKept { keptLoaded = false }
            switch error {
            case let error as GraphError where error.code == "client_assertion_failed":
                // Nothing reached Entra: it is neither up nor down.
                breaker.releaseProbe()
            case let error as GraphError where error.kind == .transport || (error.status ?? 0) >= 500:
                breaker.recordFailure()
            default:
                // The endpoint answered (a refused credential): it is up.
                breaker.recordSuccess()
            }
            throw error
        }
        if let next = fetched.refreshToken, refreshToken != nil { refreshToken = Secret(next) }
        cached = fetched.token
        return fetched.token.value
    }

    /// A token request with the kept refresh token when there is one (looked for on the first
    /// request), the configured one when Entra refuses the kept one, keeping a rotated one.
    private static func fetch(
        _ c: Credentials, configured: Secret?, keeper: RefreshTokenKeeper?, loadKept: Bool, _ client: HTTPClient, _ logger: Logger
    ) async throws -> Fetched {
        var c = c
        var keptUnread = false
        if loadKept, let keeper {
            do {
                if let kept = try await keeper.load(), !kept.isEmpty, kept != c.refreshToken?.value { c.refreshToken = Secret(kept) }
            } catch {
                keptUnread = true
            }
        }
        var token: Token
        var rotated: String?
        var fellBack = false
        do {
            (token, rotated) = try await fetch(c, client, logger)
        } catch let error as GraphError where error.code == "invalid_grant" && configured != nil && c.refreshToken?.value != configured?.value {
            logger.warning("Entra refused the kept refresh token; trying the configured one", metadata: ["mailhook.graph.code": "\(error.code)"])
            c.refreshToken = configured
            fellBack = true
            (token, rotated) = try await fetch(c, client, logger)
        }
        guard let used = c.refreshToken?.value else { return Fetched(token: token, refreshToken: nil) }
        if let rotated, !rotated.isEmpty, rotated != used {
            await keeper?.save(rotated)
            return Fetched(token: token, refreshToken: rotated, keptUnread: keptUnread)
        }
        // Not rotated after a fallback: the refused kept token must not be tried at every start.
        if fellBack { await keeper?.save(used) }
        return Fetched(token: token, refreshToken: used, keptUnread: keptUnread)
    }

    /// Forgets the cached token after Graph refused it, unless another caller already replaced it.
    public func invalidate(_ refused: String) {
        if cached?.value == refused { cached = nil }
    }

    private static func fetch(_ c: Credentials, _ client: HTTPClient, _ logger: Logger) async throws -> (Token, rotatedRefreshToken: String?) {
        var form = [("client_id", c.clientId), ("scope", c.scope)]
        if let refreshToken = c.refreshToken {
            form += [("grant_type", "refresh_token"), ("refresh_token", refreshToken.value)]
        } else {
            form += [("grant_type", "client_credentials")]
        }
        form += try c.credential.formFields(clientId: c.clientId, audience: c.tokenEndpoint)
        let (access, lifetime, rotated) = try await requestToken(url: c.tokenEndpoint, form: form, client: client, logger: logger)
        // Refresh five minutes early, or at half the lifetime for short-lived tokens.
        let margin = min(300, lifetime / 2)
        logger.debug("obtained a Graph access token", metadata: [
            "mailhook.token.lifetime": "\(Int(lifetime))", "mailhook.token.kind": "\(c.refreshToken == nil ? "application" : "delegated")",
        ])
        return (Token(value: access, refreshAt: .now + .milliseconds(Int((lifetime - margin) * 1000))), rotated)
    }

    /// One token request to Entra: the access token, its lifetime in seconds and a rotated refresh token if any.
    private static func requestToken(
        url: String, form fields: [(String, String)], client: HTTPClient, logger: Logger
    ) async throws -> (String, Double, String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = fields.map { "\($0)=\(formEncode($1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            let prepared = request
            (response, body) = try await withTimeLimit(.seconds(30)) {
                let response = try await client.execute(prepared, timeout: .seconds(3600), logger: logger)
                return (response, try await response.body.collect(upTo: 1 << 20))
            }
        } catch {
            throw GraphError(kind: .transport, code: "token_endpoint_unreachable", message: "the token endpoint did not answer (\(type(of: error)))")
        }
        let json = try? JSONValue.parse(body.readableBytesView)
        guard response.status == .ok, let access = json?["access_token"]?.stringValue, !access.isEmpty else {
            // Entra's error fields say what is wrong without echoing the secret.
            let code = json?["error"]?.stringValue ?? "token_request_failed"
            let description = json?["error_description"]?.stringValue ?? "status \(response.status.code)"
            throw GraphError(kind: .authentication, status: Int(response.status.code), code: code, message: description,
                             requestId: response.headers.first(name: "x-ms-request-id") ?? response.headers.first(name: "request-id"))
        }
        return (access, tokenLifetime(json?["expires_in"]), json?["refresh_token"]?.stringValue)
    }

    /// `expires_in` in seconds, kept within 0 and a day: the answer is outside input, and
    /// a lifetime of 1e16, NaN or a negative one must neither trap the conversion to a deadline nor
    /// keep a token past its real expiry for ever. Missing or unreadable: Entra's usual 3599.
    static func tokenLifetime(_ value: JSONValue?) -> Double {
        let seconds: Double? = switch value {
        case .number(let n): n
        case .string(let s): Double(s)
        default: nil
        }
        guard let seconds, seconds.isFinite else { return 3599 }
        return min(max(seconds, 0), 86_400)
    }

    /// Percent-encodes all but RFC 3986's unreserved characters: form fields, and OData query values.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
