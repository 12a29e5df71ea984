import _CryptoExtras
import Foundation
import MailHookCore
import Synchronization

/// The fake Entra's certificate credentials: an app may prove itself with a client assertion (a
/// JWT signed RS256 with the key of a certificate uploaded to the app registration) instead of its
/// secret. The fake checks what Entra checks: the assertion type, the signature against the
/// uploaded certificate named by `x5t`, and the audience, issuer, subject and validity times.
extension FakeGraph {
    /// A certificate the app registration accepts: its public key and its SHA-1 thumbprint
    /// (base64url, as in the assertion's `x5t` header).
    public struct UploadedCertificate: Sendable {
        public let publicKey: _RSA.Signing.PublicKey
        public let thumbprint: String

        public init(publicKey: _RSA.Signing.PublicKey, thumbprint: String) {
            self.publicKey = publicKey
            self.thumbprint = thumbprint
        }
    }

    /// Certificates the app registration holds (none by default: only the secret works).
    public var uploadedCertificates: [UploadedCertificate] {
        get { state.withLock { $0.uploadedCertificates } }
        set { state.withLock { $0.uploadedCertificates = newValue } }
    }

    /// The claims of every client assertion accepted, in order (its `jti` included).
    public var acceptedAssertions: [JSONValue] { state.withLock { $0.acceptedAssertions } }

    /// Token requests that carried a client secret, accepted or not.
    public var secretsPresented: Int { state.withLock { $0.secretsPresented } }
}

extension FakeGraph.State {
    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// Nil when the app proved itself (by secret or by assertion), else Entra's refusal.
    mutating func authenticateClient(tenant: String, _ form: [String: String]) -> Reply? {
        if let secret = form["client_secret"] {
            secretsPresented += 1
            return secret == clientSecret ? nil : entraError(401, "invalid_client", 7000215, "Invalid client secret provided.")
        }
        guard let assertion = form["client_assertion"] else {
            return entraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        guard form["client_assertion_type"] == Self.assertionType else {
            return entraError(400, "invalid_request", 50027, "Invalid client_assertion_type.")
        }
        switch verify(assertion, audience: "\(baseURL)/\(tenant)/oauth2/v2.0/token") {
        case .success(let claims):
            acceptedAssertions.append(claims)
            return nil
        case .failure(let refusal):
            return entraError(401, "invalid_client", refusal.code, refusal.description)
        }
    }

    struct Refusal: Error {
        let code: Int
        let description: String
    }

    func verify(_ jwt: String, audience: String) -> Result<JSONValue, Refusal> {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let claimsBytes = Base64URL.decode(parts[1]),
              let signatureBytes = Base64URL.decode(parts[2]),
              let header = try? JSONValue.parse(Array(headerBytes)), let claims = try? JSONValue.parse(Array(claimsBytes)) else {
            return .failure(Refusal(code: 50012, description: "The client assertion is not a well-formed JWT."))
        }
        guard header["alg"]?.stringValue == "RS256" else {
            return .failure(Refusal(code: 5002738, description: "The client assertion's algorithm is not supported."))
        }
        guard let thumbprint = header["x5t"]?.stringValue, let certificate = uploadedCertificates.first(where: { $0.thumbprint == thumbprint }) else {
            return .failure(Refusal(code: 700027, description: "The certificate with identifier used to sign the client assertion is not registered on application."))
        }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        guard certificate.publicKey.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signatureBytes), for: signed, padding: .insecurePKCS1v1_5) else {
            return .failure(Refusal(code: 700027, description: "Client assertion failed signature validation."))
        }
        let seconds = now.timeIntervalSince1970
        guard claims["aud"]?.stringValue == audience else {
            return .failure(Refusal(code: 700212, description: "No matching federated identity record found for presented assertion audience."))
        }
        guard claims["iss"]?.stringValue == clientId, claims["sub"]?.stringValue == clientId else {
            return .failure(Refusal(code: 700021, description: "Client assertion application identifier doesn't match 'client_id' parameter."))
        }
        guard case .number(let exp)? = claims["exp"], case .number(let nbf)? = claims["nbf"], exp > seconds, nbf <= seconds + 300, exp - nbf <= 3600 else {
            return .failure(Refusal(code: 700024, description: "Client assertion is not within its valid time range."))
        }
        return .success(claims)
    }
}
