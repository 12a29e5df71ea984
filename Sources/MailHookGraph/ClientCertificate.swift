import _CryptoExtras
import Crypto
import Foundation
import MailHookCore
import NIOSSL

/// A certificate credential for Entra, in place of a client secret: each token request carries a
/// fresh client assertion, a JWT signed with the certificate's RSA key (RS256) that names the
/// certificate by its SHA-1 thumbprint (`x5t`), which is how Entra finds the certificate uploaded
/// to the app registration. The key stays in memory and is never logged.
public struct ClientCertificate: Sendable {
    let key: _RSA.Signing.PrivateKey
    /// The certificate's SHA-1 thumbprint, base64url without padding (the assertion's `x5t`).
    public let thumbprint: String
    /// How long an assertion is valid: Entra takes one once, at once.
    static let lifetime: TimeInterval = 600

    /// The certificate (PEM, the first one in the text) and its RSA private key (PEM, PKCS#1 or #8,
    /// at least 2048 bits); `source` names the keys in errors.
    public init(certificatePEM: String, privateKeyPEM: String, source: (certificate: String, key: String)) throws(ConfigError) {
        let der: [UInt8]
        let certifiedKey: [UInt8]
        do {
            // The first certificate of the file (a chain file starts with the app's own).
            guard let certificate = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).first else { throw CertificateMissing() }
            der = try certificate.toDERBytes()
            certifiedKey = try certificate.extractPublicKey().toSPKIBytes()
        } catch {
            throw ConfigError(keyPath: source.certificate, problem: "no PEM certificate in the file")
        }
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw ConfigError(keyPath: source.key, problem: "not an RSA private key of 2048 bits or more in PEM")
        }
        // A key of another certificate would be refused by Entra on every token request.
        guard Array(key.publicKey.derRepresentation) == certifiedKey else {
            throw ConfigError(keyPath: source.key, problem: "does not belong to the (first) certificate in \(source.certificate)")
        }
        thumbprint = Base64URL.encode(Data(Insecure.SHA1.hash(data: der)))
    }

    private struct CertificateMissing: Error {}

    /// Reads both files (at start, so a wrong path stops the process naming the key).
    public static func load(certificateFile: String, privateKeyFile: String) throws(ConfigError) -> ClientCertificate {
        let source = (certificate: "graph.certificateFile", key: "graph.privateKeyFile")
        guard let certificate = FileManager.default.contents(atPath: certificateFile) else {
            throw ConfigError(keyPath: source.certificate, problem: "cannot read \"\(certificateFile)\"")
        }
        guard let key = FileManager.default.contents(atPath: privateKeyFile) else {
            throw ConfigError(keyPath: source.key, problem: "cannot read \"\(privateKeyFile)\"")
        }
        return try ClientCertificate(
            certificatePEM: String(decoding: certificate, as: UTF8.self), privateKeyPEM: String(decoding: key, as: UTF8.self), source: source)
    }

    /// A signed client assertion for the token endpoint at `audience`.
    func assertion(clientId: String, audience: String, now: Date = Date()) throws -> String {
        struct Header: Encodable {
            let alg = "RS256"
            let typ = "JWT"
            let x5t: String
        }
        struct Claims: Encodable {
            let aud: String
            let iss: String
            let sub: String
            let jti: String
            let nbf: Int64
            let iat: Int64
            let exp: Int64
        }
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = Base64URL.encode(try encoder.encode(Header(x5t: thumbprint)))
        let claims = Base64URL.encode(try encoder.encode(Claims(
            aud: audience, iss: clientId, sub: clientId, jti: UUID().uuidString.lowercased(),
            nbf: issued, iat: issued, exp: issued + Int64(Self.lifetime))))
        let input = header + "." + claims
        let signature = try key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5)
        return input + "." + Base64URL.encode(signature.rawRepresentation)
    }

}
