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

    /// At most this many signatures are looked at (header values, or `v1` entries): enough for
    /// key rotation, and a sender cannot make MailHook compare thousands before it is trusted.
    public static let maxCandidates = 5

    /// Checks each presented header value (the configured header and `X-Hub-Signature-256`)
    /// against one MAC of the body.
    public static func verifyHMAC(signatures: [String], body: some Collection<UInt8>, secret: Secret) -> Outcome {
        guard !signatures.isEmpty else { return .rejected(.missingCredentials) }
        guard signatures.count <= maxCandidates else { return .rejected(.malformedCredentials) }
        var candidates: [[UInt8]] = []
        for value in signatures {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            guard trimmed.utf8.count == 71, trimmed.lowercased().hasPrefix("sha256="), let mac = Hex.decode(trimmed.dropFirst(7)) else { continue }
            candidates.append(mac)
        }
        guard !candidates.isEmpty else { return .rejected(.malformedCredentials) }
        let expected = Array(HMAC<SHA256>.authenticationCode(for: Array(body), using: SymmetricKey(data: Array(secret.value.utf8))))
        return matchesAny(expected, candidates) ? .valid : .rejected(.mismatch)
    }

    /// Compares every candidate (no early exit) in constant time.
    static func matchesAny(_ expected: [UInt8], _ candidates: [[UInt8]]) -> Bool {
        var matched = false
        for candidate in candidates where ConstantTime.bytesEqual(expected, candidate) { matched = true }
        return matched
    }

    // MARK: Standard Webhooks

    public static let standardWebhooksTolerance: Int64 = 300
    /// `webhook-id` is the dedupe key; real ids are short (`msg_…`).
    public static let maxWebhookIdLength = 256

    /// The `v1,<base64>` signature of `id.timestamp.body`.
    public static func standardWebhooksSignature(id: String, timestamp: String, body: some Sequence<UInt8>, key: SecretBytes) -> String {
        "v1," + Data(mac(id: id, timestamp: timestamp, body: body, key: key)).base64EncodedString()
    }

    static func mac(id: String, timestamp: String, body: some Sequence<UInt8>, key: SecretBytes) -> [UInt8] {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        return Array(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key.bytes)))
    }

    /// Unix seconds as 1 to 12 ASCII digits (no sign, no spaces); anything else is malformed.
    public static func parseTimestamp(_ text: String) -> Int64? {
        let digits = text.utf8
        guard (1...12).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// Verifies `webhook-id`, `webhook-timestamp` (±5 minutes of `now`) and `webhook-signature`
    /// (a space-separated list; any valid `v1` entry passes, which allows key rotation).
    public static func verifyStandardWebhooks(
        id: String?, timestamp: String?, signature: String?, body: some Collection<UInt8>, key: SecretBytes,
        now: Date, tolerance: Int64 = standardWebhooksTolerance
    ) -> Outcome {
        guard let id, !id.isEmpty, let timestamp, let signature else { return .rejected(.missingCredentials) }
        guard id.utf8.count <= maxWebhookIdLength, let seconds = parseTimestamp(timestamp) else { return .rejected(.malformedCredentials) }
        // Both sides are far inside Int64: a timestamp has at most 12 digits, and so has now.
        let nowSeconds = Int64(exactly: now.timeIntervalSince1970.rounded(.down)) ?? 0
        guard abs(nowSeconds - seconds) <= tolerance else { return .rejected(.timestampOutOfTolerance) }
        // At most one split past the limit: a flood of entries is refused without being walked.
        let entries = signature.utf8.split(separator: 0x20, maxSplits: maxCandidates, omittingEmptySubsequences: true)
        guard entries.count <= maxCandidates, entries.last.map({ !$0.contains(0x20) }) ?? true else { return .rejected(.malformedCredentials) }
        var candidates: [[UInt8]] = []
        for entry in entries {
            // `v1,` and 32 bytes as 44 base64 characters: nothing else is decoded.
            guard entry.count == 47, entry.starts(with: Array("v1,".utf8)),
                  let mac = Data(base64Encoded: String(decoding: entry.dropFirst(3), as: UTF8.self)), mac.count == 32 else { continue }
            candidates.append(Array(mac))
        }
        guard !candidates.isEmpty else { return .rejected(.malformedCredentials) }
        return matchesAny(mac(id: id, timestamp: timestamp, body: body, key: key), candidates) ? .valid : .rejected(.mismatch)
    }
}
