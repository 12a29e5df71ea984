import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailHookCore
import MailHookStore
import NIOCore

/// `POST /webhooks/graph` and `POST /webhooks/graph/lifecycle`: the validation handshake, then
/// notification batches. Items are verified one by one; the valid ones are committed to the inbox
/// in a single transaction before the 202. Invalid items are dropped and counted, and the batch is
/// still acknowledged, as Microsoft recommends (a sender learns nothing from the answer).
struct GraphWebhookController: Sendable {
    let writer: InboxWriter
    let directory: SubscriptionDirectory
    let bodyReader: BodyReader
    let metrics: ServerMetrics
    let tenantId: String?
    let maxBatchItems: Int

    func handle(_ request: Request, context: MailHookRequestContext, lifecycleURL: Bool) async throws -> Response {
        let started = ContinuousClock.now
        let source = (lifecycleURL ? GraphSource.lifecycle : GraphSource.graph).rawValue

        // The handshake: answer before looking at the (empty, text/plain) body.
        let token: String?
        do {
            token = try ValidationToken.extract(rawQuery: request.uri.query)
        } catch {
            metrics.rejection(source: source, reason: "bad_validation_token")
            throw IntakeError.badRequest("validationToken is not a valid form-encoded value")
        }
        if let token {
            context.logger.info("answered Graph validation handshake", metadata: ["mailhook.route": "\(request.uri.path)"])
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; charset=utf-8", .init("X-Content-Type-Options")!: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(string: token)))
        }

        guard BodyReader.isJSON(request.headers[.contentType]) else {
            metrics.rejection(source: source, reason: "content_type")
            throw IntakeError.unsupportedMediaType(request.headers[.contentType])
        }
        let body = try await bodyReader.read(request)
        let batch: GraphNotificationBatch
        do {
            batch = try BodyReader.parseJSON(body, source: source, metrics: metrics) { try GraphNotificationBatch(bytes: $0) }
        } catch let failure as GraphNotificationBatch.Failure {
            metrics.rejection(source: source, reason: "malformed")
            throw IntakeError.badRequest(failure.description)
        }
        metrics.rejection(source: source, reason: "malformed_item", count: batch.malformedCount)
        guard batch.items.count + batch.malformedCount <= maxBatchItems else {
            metrics.rejection(source: source, reason: "batch_too_large")
            throw IntakeError.badRequest("the batch has \(batch.items.count + batch.malformedCount) items; at most \(maxBatchItems) are accepted (server.maxBatchItems)")
        }

        let now = Date()
        var accepted: [NewInboxItem] = []
        for item in batch.items {
            let itemSource = (item.isLifecycle ? GraphSource.lifecycle : GraphSource.graph).rawValue
            if let rejection = GraphRemit.precheck(item, tenantId: tenantId) {
                metrics.rejection(source: itemSource, reason: rejection.rawValue)
                continue
            }
            let verdict: SubscriptionDirectory.Verdict
            do {
                verdict = try await directory.verify(subscriptionId: item.subscriptionId, clientState: item.clientState)
            } catch {
                metrics.storeError(operation: "subscription_lookup")
                context.logger.error("subscription lookup failed", metadata: ["error": "\(String(reflecting: error))"])
                throw IntakeError.unavailable
            }
            switch verdict {
            case .valid(let mailboxes):
                if let rejection = GraphRemit.check(item, mailboxes: mailboxes) {
                    metrics.rejection(source: itemSource, reason: rejection.rawValue)
                } else {
                    accepted.append(item.inboxItem(receivedAt: now))
                }
            case .missingClientState: metrics.rejection(source: itemSource, reason: "missing_client_state")
            case .mismatch: metrics.rejection(source: itemSource, reason: "client_state_mismatch")
            case .unknownSubscription: metrics.rejection(source: itemSource, reason: "unknown_subscription")
            }
        }
        if accepted.count < batch.items.count {
            context.logger.notice("dropped Graph notification items", metadata: [
                "mailhook.dropped": "\(batch.items.count - accepted.count)", "mailhook.items": "\(batch.items.count)",
            ])
        }

        if !accepted.isEmpty {
            let outcomes: [InsertOutcome]
            do {
                outcomes = try await writer.submit(accepted)
            } catch {
                metrics.storeError(operation: "inbox_insert")
                context.logger.error("could not store Graph notifications", metadata: ["error": "\(String(reflecting: error))"])
                throw IntakeError.unavailable
            }
            for (item, outcome) in zip(accepted, outcomes) {
                let itemSource = (item.kind == .graphLifecycle ? GraphSource.lifecycle : GraphSource.graph).rawValue
                metrics.notification(source: itemSource, outcome: outcome == .duplicate ? .duplicate : .accepted)
            }
        }
        metrics.recordAck(since: started)
        return Response(status: .accepted)
    }
}
