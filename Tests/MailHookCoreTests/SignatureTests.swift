import Foundation
import MailHookCore
import Testing

struct SignatureTests {
    @Test("GitHub's published HMAC example")
    func githubVector() {
        let body = Array("Hello, World!".utf8)
        let secret = Secret("It's a Secret to Everybody")
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(WebhookSignature.hmacSHA256Hex(body: body, secret: secret) == expected)
        #expect(WebhookSignature.verifyHMAC(signatures: [expected], body: body, secret: secret) == .valid)
        #expect(WebhookSignature.verifyHMAC(signatures: [expected.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256=")], body: body, secret: secret) == .valid)
        #expect(WebhookSignature.verifyHMAC(signatures: [expected], body: Array("Hello, World?".utf8), secret: secret) == .rejected(.mismatch))
        #expect(WebhookSignature.verifyHMAC(signatures: [], body: body, secret: secret) == .rejected(.missingCredentials))
        #expect(WebhookSignature.verifyHMAC(signatures: ["md5=abc"], body: body, secret: secret) == .rejected(.malformedCredentials))
        // Two headers, one valid (the configured header and X-Hub-Signature-256).
        #expect(WebhookSignature.verifyHMAC(signatures: ["sha256=" + String(repeating: "0", count: 64), expected], body: body, secret: secret) == .valid)
    }

    @Test("the Standard Webhooks reference vector")
    func standardWebhooksVector() throws {
        let key = SecretBytes(Array(try #require(Data(base64Encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(WebhookSignature.standardWebhooksSignature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: body, key: key) == expected)
        let at = Date(timeIntervalSince1970: 1_614_265_330)
        func verify(signature: String, id: String = "msg_p5jXN8AQM9LWM0D4loKWxJek", now: Date = at) -> WebhookSignature.Outcome {
            WebhookSignature.verifyStandardWebhooks(id: id, timestamp: "1614265330", signature: signature, body: body, key: key, now: now)
        }
        #expect(verify(signature: expected) == .valid)
        #expect(verify(signature: "v1,Zm9v " + expected) == .valid, "rotation: any listed v1 signature may match")
        #expect(verify(signature: "v2," + expected.dropFirst(3)) == .rejected(.malformedCredentials))
        #expect(verify(signature: expected, id: "msg_other") == .rejected(.mismatch))
        #expect(verify(signature: expected, now: at.addingTimeInterval(300)) == .valid)
        #expect(verify(signature: expected, now: at.addingTimeInterval(301)) == .rejected(.timestampOutOfTolerance))
        #expect(verify(signature: expected, now: at.addingTimeInterval(-301)) == .rejected(.timestampOutOfTolerance))
        #expect(WebhookSignature.verifyStandardWebhooks(id: nil, timestamp: "1", signature: expected, body: body, key: key, now: at) == .rejected(.missingCredentials))
        #expect(WebhookSignature.verifyStandardWebhooks(id: "x", timestamp: "soon", signature: expected, body: body, key: key, now: at) == .rejected(.malformedCredentials))
    }

    @Test("bearer tokens")
    func bearer() {
        let token = Secret("t0ken-value")
        #expect(WebhookSignature.verifyBearer(authorization: "Bearer t0ken-value", token: token) == .valid)
        #expect(WebhookSignature.verifyBearer(authorization: "bearer t0ken-value", token: token) == .valid)
        #expect(WebhookSignature.verifyBearer(authorization: "Bearer t0ken-valuE", token: token) == .rejected(.mismatch))
        #expect(WebhookSignature.verifyBearer(authorization: "Bearer t0ken-value-longer", token: token) == .rejected(.mismatch))
        #expect(WebhookSignature.verifyBearer(authorization: "Basic t0ken-value", token: token) == .rejected(.malformedCredentials))
        #expect(WebhookSignature.verifyBearer(authorization: nil, token: token) == .rejected(.missingCredentials))
    }

    @Test("constant-time helpers")
    func constantTime() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "abcd"))
        #expect(ConstantTime.bytesEqual([1, 2], [1, 2]))
        #expect(!ConstantTime.bytesEqual([1, 2], [1, 2, 3]))
        #expect(Hex.decode("0aFf") == [0x0A, 0xFF])
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.encode([0x00, 0xAB]) == "00ab")
    }

    @Test("secrets never print")
    func secretsDoNotPrint() throws {
        let secret = Secret("super-secret-value")
        #expect("\(secret)" == "***")
        #expect(String(reflecting: secret) == "***")
        #expect(!"\(SecretHolder(secret: secret))".contains("super-secret"))
        #expect(!String(reflecting: SecretHolder(secret: secret)).contains("super-secret"))
        let encoded = String(decoding: try JSONEncoder().encode(SecretHolder(secret: secret)), as: UTF8.self)
        #expect(encoded == #"{"secret":"***"}"#)
        #expect(!"\(SecretBytes([1, 2, 3]))".contains("1"))
    }

    @Test("hostile signature headers: timestamps that would overflow, too many candidates, padded MACs")
    func hostileSignatureHeaders() {
        let key = SecretBytes(Array("0123456789abcdef0123456789abcdef".utf8))
        let body = Array("{}".utf8)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for timestamp in ["-9223372036854775808", "9223372036854775807", "1234567890123", "-1", "+1", " 1", "1e9", ""] {
            let outcome = WebhookSignature.verifyStandardWebhooks(id: "msg_1", timestamp: timestamp, signature: "v1,AAAA", body: body, key: key, now: now)
            #expect(outcome == .rejected(.malformedCredentials), "\(timestamp)")
        }
        #expect(WebhookSignature.parseTimestamp("999999999999") == 999_999_999_999)
        let valid = WebhookSignature.standardWebhooksSignature(id: "msg_1", timestamp: "1800000000", body: body, key: key)
        let six = Array(repeating: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", count: 5) + [valid]
        #expect(WebhookSignature.verifyStandardWebhooks(
            id: "msg_1", timestamp: "1800000000", signature: six.joined(separator: " "), body: body, key: key, now: now) == .rejected(.malformedCredentials))
        #expect(WebhookSignature.verifyStandardWebhooks(
            id: "msg_1", timestamp: "1800000000", signature: six.suffix(5).joined(separator: " "), body: body, key: key, now: now) == .valid)
        let hmac = WebhookSignature.hmacSHA256Hex(body: body, secret: Secret("s"))
        #expect(WebhookSignature.verifyHMAC(signatures: Array(repeating: "sha256=00", count: 6) + [hmac], body: body, secret: Secret("s")) == .rejected(.malformedCredentials))
        #expect(WebhookSignature.verifyHMAC(signatures: [" \(hmac) "], body: body, secret: Secret("s")) == .valid)
    }

    @Test("1,500 signature entries over a 1 MiB body are refused in well under 5 ms of CPU")
    func signatureFloodCost() {
        let key = SecretBytes(Array("0123456789abcdef0123456789abcdef".utf8))
        let body = [UInt8](repeating: 0x20, count: 1 << 20)
        let entries = Array(repeating: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", count: 1500).joined(separator: " ")
        let start = Self.threadCPUTime()
        let outcome = WebhookSignature.verifyStandardWebhooks(
            id: "msg_1", timestamp: "1800000000", signature: entries, body: body, key: key, now: Date(timeIntervalSince1970: 1_800_000_000))
        let spent = Self.threadCPUTime() - start
        #expect(outcome == .rejected(.malformedCredentials))
        #expect(spent < .milliseconds(5), "\(spent) of CPU")
    }

    /// CPU time of the calling thread: what this work cost, whatever else the machine is doing.
    static func threadCPUTime() -> Duration {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }

    struct SecretHolder: Encodable {
        let secret: Secret
    }
}
