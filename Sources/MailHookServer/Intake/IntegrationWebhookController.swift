import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailHookCore
import MailHookStore
import NIOCore

/// One mounted `webhook_endpoints[]` entry: authentication, then payload checks, then filters,
/// then one durable insert. Answers as DESIGN's endpoint table says.
struct IntegrationWebhookController: Sendable {
    let endpoint: WebhookEndpoint
    let writer: InboxWriter
    let bodyReader: BodyReader
    let metrics: ServerMetrics
    let now: @Sendable () -> Date
    /// Mailboxes a by-reference event may name (lower-cased): the endpoint's own list, else `graph.mailboxes`.
    let referenceMailboxes: Set<String>

    static let hubSignature = HTTPField.Name("X-Hub-Signature-256")!
    static let webhookId = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!

    func handle(_ request: Request, context: MailHookRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let source = endpoint.name

        // A bearer token is checked before the body is read.
        if case .bearerToken(let token) = endpoint.authentication {
            try check(WebhookSignature.verifyBearer(authorization: request.headers[.authorization], token: token), context: context)
        }
        let body = try await bodyReader.read(request)
        let bytes = body.readableBytesView
        switch endpoint.authentication {
        case .bearerToken:
            break
        case .hmacSHA256(let secret, let header):
            // The name was checked to be a valid field name when the configuration was read.
            var presented = HTTPField.Name(header).map { request.headers[values: $0] } ?? []
            if header.lowercased() != "x-hub-signature-256" {
                presented += request.headers[values: Self.hubSignature]
            }
            try check(WebhookSignature.verifyHMAC(signatures: presented, body: bytes, secret: secret), context: context)
        case .standardWebhooks(let key):
            try check(WebhookSignature.verifyStandardWebhooks(
                id: request.headers[Self.webhookId], timestamp: request.headers[Self.webhookTimestamp],
                signature: request.headers[Self.webhookSignature], body: bytes, key: key, now: now()), context: context)
        }

        guard BodyReader.isJSON(request.headers[.contentType]) else {
            metrics.rejection(source: source, reason: "content_type")
            throw IntakeError.unsupportedMediaType(request.headers[.contentType])
        }
        let event: EmailEvent
        do {
            event = try EmailEvent(json: try BodyReader.parseJSON(body, source: source, metrics: metrics))
        } catch let invalid as EmailEvent.Invalid {
            metrics.rejection(source: source, reason: "invalid_event")
            throw IntakeError.badRequest(invalid.reason)
        }

        // A by-reference event makes MailHook read a mailbox: only one it monitors.
        if case .reference(let mailbox, _) = event.shape, !referenceMailboxes.contains(mailbox.lowercased()) {
            metrics.rejection(source: source, reason: "mailbox_not_monitored")
            throw IntakeError.badRequest(
                "graph.mailbox: \"\(mailbox.clipped(to: 320))\" is not a monitored mailbox (graph.mailboxes, or this endpoint's mailboxes)")
        }
        // By-reference events carry no sender or subject yet; the pipeline filters them after the fetch.
        if case .reference = event.shape {} else if !endpoint.filters.isEmpty,
            !endpoint.filters.matches(sender: event.sender, subject: event.subject) {
            metrics.notification(source: source, outcome: .filtered)
            return JSONResponse.response(.ok, Answer(status: .filtered))
        }

        let item = NewInboxItem(
            source: .integration, kind: event.kind, endpoint: endpoint.name,
            dedupeKey: EmailEvent.dedupeKey(endpoint: endpoint.name, signedWebhookId: signedWebhookId(request), eventId: event.id, body: bytes),
            payload: String(decoding: bytes, as: UTF8.self))
        let outcome: InsertOutcome
        do {
            guard let first = try await writer.submit([item]).first else { throw StoreUnavailable("the writer gave no outcome") }
            outcome = first
        } catch {
            metrics.storeError(operation: "inbox_insert")
            context.logger.error("could not store event", metadata: ["mailhook.endpoint": "\(source)", "error": "\(String(reflecting: error))"])
            throw IntakeError.unavailable
        }
        metrics.recordAck(since: started)
        switch outcome {
        case .inserted(let id):
            metrics.notification(source: source, outcome: .accepted)
            return JSONResponse.response(.accepted, Answer(status: .accepted, id: id))
        case .duplicate:
            metrics.notification(source: source, outcome: .duplicate)
            return JSONResponse.response(.ok, Answer(status: .duplicate))
        }
    }

    /// `webhook-id` only where the signature covers it (Standard Webhooks).
    private func signedWebhookId(_ request: Request) -> String? {
        guard case .standardWebhooks = endpoint.authentication else { return nil }
        return request.headers[Self.webhookId]
    }

    private func check(_ outcome: WebhookSignature.Outcome, context: MailHookRequestContext) throws {
        guard case .rejected(let reason) = outcome else { return }
        metrics.rejection(source: endpoint.name, reason: reason.rawValue)
        context.logger.notice("rejected webhook authentication", metadata: [
            "mailhook.endpoint": "\(endpoint.name)", "mailhook.reason": "\(reason.rawValue)",
        ])
        throw IntakeError.unauthorized
    }
}
