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
    /// An email's text through the sanitiser, the prompt budgets and the offline classifier with
    /// a trained model (its features, character grams and both heads).
    case classify

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .json: Self.json(bytes)
        case .graphBatch: Self.graphBatch(bytes)
        case .event: Self.event(bytes)
        case .signatures: Self.signatures(bytes)
        case .classify: Self.classify(bytes)
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

    /// Input: the subject, a newline, the body.
    static func classify(_ bytes: [UInt8]) {
        let split = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
        let subject = String(decoding: bytes[..<split], as: UTF8.self)
        let body = split < bytes.endIndex ? String(decoding: bytes[(split + 1)...], as: UTF8.self) : ""
        let sanitizer = Sanitizer()
        let cleanSubject = sanitizer.sanitize(subject).text
        let cleanBody = sanitizer.sanitize(body).text
        let result = fuzzClassifier.classify(subject: cleanSubject, body: cleanBody)
        precondition((0...100).contains(result.confidence), "confidence \(result.confidence)")
        precondition(Sanitizer.truncate(cleanBody, to: .classify).unicodeScalars.count <= 8 * Sanitizer.Budget.classify.rawValue)
        precondition(body.clipped(to: 100).unicodeScalars.count <= 100)
    }

    /// A small hand-made model: weights for words, a word pair, character grams, a subject word and
    /// cue inputs, in both heads, so every kind of input is looked up.
    static let fuzzClassifier: LocalClassifier = {
        let categories = Category.allCases.map(\.rawValue)
        let urgencies = Urgency.allCases.map(\.rawValue)
        func row(_ n: Int, _ hot: Int) -> [Double] { (0..<n).map { $0 == hot ? 1.5 : -0.2 } }
        let category = LinearHead(labels: categories, bias: categories.map { _ in 0 }, weights: [
            "printer": row(5, 1), "c:<pri": row(5, 1), "invoice": row(5, 0), "c:voic": row(5, 0), "outage": row(5, 3),
            "is_down": row(5, 3), "s:question": row(5, 4), "cue:SUPPORT": row(5, 1), "rules:ESCALATION": row(5, 3),
        ])
        let urgency = LinearHead(labels: urgencies, bias: urgencies.map { _ in 0 }, weights: [
            "urgent": row(4, 3), "c:rgen": row(4, 2), "whenever": row(4, 0), "category:ESCALATION": row(4, 3), "rules:CRITICAL": row(4, 3),
        ])
        let model = ClassifierModel(
            name: "fuzz-1", trainedOn: .init(fixtures: 0, feedback: 0, minimumDocuments: 1, regularization: 0, epochs: 0),
            category: category, urgency: urgency)
        return LocalClassifier(model: model)
    }()
}
