import Foundation
import MailHookCore

/// What the fuzzers drive: the readers that see bytes before anything is trusted. Each target
/// takes arbitrary bytes and must return without trapping, whatever they are; `Scripts/fuzz`
/// runs them under libFuzzer with AddressSanitizer, and the Core tests replay every input kept
/// under `Tests/Fuzz/regressions/`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The request-body guard and both parsers, and a write/read round trip.
    case json
    /// A Graph notification batch: items, inbox keys, resources, remit checks.
    case graphBatch = "graph-batch"
    /// A third-party event in any of its three shapes, and its mapping to an email.
    case event
    /// The signature and token readers: Standard Webhooks, HMAC, bearer, validation tokens.
    case signatures

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .json: Self.json(bytes)
        case .graphBatch: Self.graphBatch(bytes)
        case .event: Self.event(bytes)
        case .signatures: Self.signatures(bytes)
        }
    }

    static func json(_ bytes: [UInt8]) {
        guard (try? JSONGuard.check(bytes)) != nil else { return }
        _ = try? JSONValue.parseRequest(bytes)
        guard let value = try? JSONValue.parse(bytes) else { return }
        // What MailHook writes it must read back the same.
        let again = try? JSONValue.parse(Array(value.jsonText().utf8))
        precondition(again.map { sameShape($0, value) } ?? false, "a written document did not read back")
    }

    /// Equal, except that numbers compare by their written form (a float may print with rounding).
    static func sameShape(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number, .number): true
        case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy(sameShape)
        case (.object(let x), .object(let y)): x.count == y.count && x.allSatisfy { key, value in y[key].map { sameShape(value, $0) } ?? false }
        default: a == b
        }
    }

    static func graphBatch(_ bytes: [UInt8]) {
        guard (try? JSONGuard.check(bytes)) != nil, let batch = try? GraphNotificationBatch(bytes: bytes) else { return }
        for item in batch.items {
            _ = item.inboxItem(receivedAt: Date(timeIntervalSince1970: 1_800_000_000))
            _ = GraphRemit.precheck(item, tenantId: "c0ffee00-0000-4000-8000-0000000000bb")
            _ = GraphRemit.check(item, mailboxes: ["0f0e0d0c-0000-4000-8000-0000000000aa", "it@contoso.example"])
            _ = item.mailboxAndMessage
        }
    }

    static func event(_ bytes: [UInt8]) {
        guard (try? JSONGuard.check(bytes)) != nil, let json = try? JSONValue.parseRequest(bytes) else { return }
        guard let event = try? EmailEvent(json: json) else { return }
        _ = EmailEvent.dedupeKey(endpoint: "fuzz", signedWebhookId: nil, eventId: event.id, body: bytes)
        if case .reference = event.shape { return }
        // What intake accepted, the pipeline must be able to read without trapping.
        _ = try? EventEmailMapper.map(json, endpoint: "fuzz", fallbackId: "fallback", receivedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    /// Input: header values separated by newlines (id, timestamp, signature, hmac values…), then
    /// a NUL byte, then the body.
    static func signatures(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let headers = String(decoding: bytes[..<split], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let body = split < bytes.endIndex ? Array(bytes[(split + 1)...]) : []
        func header(_ i: Int) -> String? { headers.indices.contains(i) ? headers[i] : nil }
        let key = SecretBytes(Array("fuzzing-key-0123456789abcdef".utf8))
        _ = WebhookSignature.verifyStandardWebhooks(
            id: header(0), timestamp: header(1), signature: header(2), body: body, key: key, now: Date(timeIntervalSince1970: 1_800_000_000))
        _ = WebhookSignature.verifyHMAC(signatures: Array(headers.dropFirst(3)), body: body, secret: Secret("fuzzing-secret"))
        _ = WebhookSignature.verifyBearer(authorization: header(0), token: Secret("fuzzing-token"))
        _ = WebhookSignature.parseTimestamp(header(1) ?? "")
        _ = try? ValidationToken.extract(rawQuery: header(0))
    }
}
