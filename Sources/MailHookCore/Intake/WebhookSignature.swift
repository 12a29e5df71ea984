import Crypto
import Foundation

/// Verification of third-party webhook authentication. Every comparison of a secret or MAC is
/// constant-time. Outcomes carry a reason for metrics and debugging that never includes a secret
/// or a signature value.
public enum WebhookSignature {
    public enum Outcome: Equatable, Sendable {
        case valid
        case rejected(Reason)
    }

    public enum Reason: String, Sendable {
        case missingCredentials = "missing_credentials"
        case malformedCredentials = "malformed_credentials"
        case mismatch
        case timestampOutOfTolerance = "timestamp_out_of_tolerance"
    }

    // MARK: Bearer

    /// `Authorization: Bearer <token>`.
    public static func verifyBearer(authorization: String?, token: Secret) -> Outcome {
        guard let authorization else { return .rejected(.missingCredentials) }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .rejected(.malformedCredentials) }
        let presented = parts[1].trimmingCharacters(in: .whitespaces)
        return ConstantTime.equals(presented, token.value) ? .valid : .rejected(.mismatch)
    }

    // MARK: HMAC-SHA256 (`sha256=<hex>` over the raw body)

    public static func hmacSHA256Hex(body: some Sequence<UInt8>, secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(body), using: SymmetricKey(data: Array(secret.value.utf8)))
        return "sha256=" + Hex.encode(mac)
    }

    /// Checks each presented header value (the configured header and `X-Hub-Signature-256`).
    public static func verifyHMAC(signatures: [String], body: some Collection<UInt8>, secret: Secret) -> Outcome {
        guard !signatures.isEmpty else { return .rejected(.missingCredentials) }
        let key = SymmetricKey(data: Array(secret.value.utf8))
        var sawWellFormed = false
        for value in signatures {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard trimmed.lowercased().hasPrefix("sha256="), let mac = Hex.decode(trimmed.dropFirst(7)), mac.count == 32 else { continue }
            sawWellFormed = true
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(body), using: key) { return .valid }
        }
        return .rejected(sawWellFormed ? .mismatch : .malformedCredentials)
    }

    // MARK: Standard Webhooks

    public static let standardWebhooksTolerance: Int64 = 300

    /// The `v1,<base64>` signature of `id.timestamp.body`.
    public static func standardWebhooksSignature(id: String, timestamp: String, body: some Sequence<UInt8>, key: SecretBytes) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key.bytes))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Verifies `webhook-id`, `webhook-timestamp` (±5 minutes of `now`) and `webhook-signature`
    /// (a space-separated list; any valid `v1` entry passes, which allows key rotation).
    public static func verifyStandardWebhooks(
        id: String?, timestamp: String?, signature: String?, body: some Collection<UInt8>, key: SecretBytes,
        now: Date, tolerance: Int64 = standardWebhooksTolerance
    ) -> Outcome {
        guard let id, !id.isEmpty, let timestamp, let signature else { return .rejected(.missingCredentials) }
        guard let seconds = Int64(timestamp) else { return .rejected(.malformedCredentials) }
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        guard abs(nowSeconds - seconds) <= tolerance else { return .rejected(.timestampOutOfTolerance) }
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let symmetricKey = SymmetricKey(data: key.bytes)
        var sawWellFormed = false
        for entry in signature.split(separator: " ") {
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])), mac.count == 32 else { continue }
            sawWellFormed = true
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: symmetricKey) { return .valid }
        }
        return .rejected(sawWellFormed ? .mismatch : .malformedCredentials)
    }
}
