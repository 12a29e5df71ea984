import Foundation
import MailHookCore

// MARK: - Entra's token endpoint

extension FakeGraph.State {
    func entraError(_ status: Int, _ error: String, _ code: Int, _ description: String) -> Reply {
        .json(status, .object([
            "error": .string(error),
            "error_description": .string("AADSTS\(code): \(description)"),
            "error_codes": .array([GraphJSON.int(code)]),
            "timestamp": .string(GraphFormat.dateTime(now)),
            "trace_id": .string(GraphIDs.uuid()),
            "correlation_id": .string(GraphIDs.uuid()),
        ]))
    }

    /// `POST /{tenant}/oauth2/v2.0/token` with the client-credentials or the refresh-token grant.
    mutating func issueToken(tenant: String, _ request: GraphRequest) -> Reply {
        tokenRequestCount += 1
        if let status = outageStatus {
            return entraError(status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
        }
        if tokenFailures > 0 {
            tokenFailures -= 1
            return entraError(500, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
        }
        guard request.method == "POST" else {
            return entraError(405, "invalid_request", 900561, "The endpoint only accepts POST requests.")
        }
        let form = Dictionary(FormCoding.parse(request.body).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard tenant.lowercased() == tenantId.lowercased() else {
            return entraError(401, "invalid_client", 90002, "Tenant '\(tenant)' not found.")
        }
        guard form["client_id"] == clientId else {
            return entraError(401, "invalid_client", 700016, "Application with identifier '\(form["client_id"] ?? "")' was not found in the directory.")
        }
        if let refusal = authenticateClient(tenant: tenant, form) { return refusal }
        if form["grant_type"] == "refresh_token" { return redeemRefreshToken(form) }
        guard form["grant_type"] == "client_credentials" else {
            return entraError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        }
        guard let scope = form["scope"], scope.hasSuffix("/.default") else {
            return entraError(400, "invalid_scope", 1002012, "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
        }
        tokensIssued += 1
        let token = "fake-token-\(tokensIssued)"
        tokens[token] = now.addingTimeInterval(TimeInterval(tokenLifetimeSeconds))
        return .json(200, .object([
            "token_type": .string("Bearer"),
            "expires_in": GraphJSON.int(tokenLifetimeSeconds),
            "ext_expires_in": GraphJSON.int(tokenLifetimeSeconds),
            "access_token": .string(token),
        ]))
    }

    /// The refresh-token grant for the service account: a delegated access token and a rotated refresh token.
    mutating func redeemRefreshToken(_ form: [String: String]) -> Reply {
        guard let scope = form["scope"]?.trimmingCharacters(in: .whitespaces), !scope.isEmpty else {
            return entraError(400, "invalid_request", 90014, "The required field 'scope' is missing from the credential.")
        }
        guard let presented = form["refresh_token"], !presented.isEmpty else {
            return entraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.")
        }
        guard refreshTokens.contains(presented) else {
            return entraError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.")
        }
        tokensIssued += 1
        let token = "fake-delegated-token-\(tokensIssued)"
        tokens[token] = now.addingTimeInterval(TimeInterval(tokenLifetimeSeconds))
        tokenUsers[token] = mailboxKey(delegatedUser)
        var rotated: String
        repeat {
            refreshTokensIssued += 1
            rotated = "fake-refresh-token-\(refreshTokensIssued)"
        } while refreshTokens.contains(rotated)
        refreshTokens.insert(rotated)
        currentRefreshToken = rotated
        // Entra reports the resource scopes granted, not the OpenID Connect ones.
        let oidc: Set<String> = ["openid", "profile", "email", "offline_access"]
        let granted = scope.split(separator: " ").filter { !oidc.contains($0.lowercased()) }.joined(separator: " ")
        return .json(200, .object([
            "token_type": .string("Bearer"),
            "scope": .string(granted),
            "expires_in": GraphJSON.int(tokenLifetimeSeconds),
            "ext_expires_in": GraphJSON.int(tokenLifetimeSeconds),
            "access_token": .string(token),
            "refresh_token": .string(rotated),
        ]))
    }
}
