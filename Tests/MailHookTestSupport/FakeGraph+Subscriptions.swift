import AsyncHTTPClient
import Foundation
import MailHookCore
import NIOCore
import NIOHTTP1
import Synchronization

extension FakeGraph {
    // MARK: - Test controls

    /// Posts a change notification for `messageId` to the subscription's notificationUrl, as Graph does,
    /// and returns the receiver's HTTP status. Throws when the subscription is unknown or nobody answers.
    @discardableResult
    public func notify(subscriptionId: String, messageId: String, changeType: String = "created") async throws -> Int {
        try await notifyBatch([(subscriptionId: subscriptionId, messageId: messageId, changeType: changeType)])
    }

    /// Posts several change notifications in one `value` array (Graph batches); all must share a notificationUrl.
    @discardableResult
    public func notifyBatch(_ items: [(subscriptionId: String, messageId: String, changeType: String)]) async throws -> Int {
        let (url, payload) = try state.withLock { s -> (String, String) in
            s.purgeExpiredSubscriptions()
            var url: String?
            var values: [JSONValue] = []
            for item in items {
                guard let subscription = s.subscriptions.first(where: { $0.id == item.subscriptionId }) else {
                    throw FakeGraphError("no live subscription \(item.subscriptionId)")
                }
                guard let mailbox = subscription.mailboxId else { throw FakeGraphError("subscription \(subscription.id) names no mailbox") }
                guard url == nil || url == subscription.notificationUrl else { throw FakeGraphError("a batch must share one notificationUrl") }
                url = subscription.notificationUrl
                let resource = "Users/\(mailbox)/Messages/\(item.messageId)"
                var value = s.envelope(subscription)
                value["changeType"] = .string(item.changeType)
                value["resource"] = .string(resource)
                value["resourceData"] = .object([
                    "@odata.type": .string("#Microsoft.Graph.Message"),
                    "@odata.id": .string(resource),
                    "@odata.etag": .string("W/\"\(GraphIDs.changeKey())\""),
                    "id": .string(item.messageId),
                ])
                values.append(.object(value))
            }
            guard let url else { throw FakeGraphError("nothing to notify") }
            return (url, JSONValue.object(["value": .array(values)]).jsonText())
        }
        return try await deliver(payload, to: url)
    }

    /// Posts a lifecycle notification (`reauthorizationRequired`, `subscriptionRemoved`, `missed`) to the
    /// subscription's lifecycleNotificationUrl and returns the status. Works for a subscription already
    /// removed with ``removeSubscription(id:)``, as Graph sends `subscriptionRemoved` after the fact.
    @discardableResult
    public func sendLifecycle(subscriptionId: String, event: String) async throws -> Int {
        let (url, payload) = try state.withLock { s -> (String, String) in
            s.purgeExpiredSubscriptions()
            guard let subscription = s.subscriptions.first(where: { $0.id == subscriptionId }) ?? s.retiredSubscriptions[subscriptionId] else {
                throw FakeGraphError("no subscription \(subscriptionId)")
            }
            guard let url = subscription.lifecycleNotificationUrl else {
                throw FakeGraphError("subscription \(subscriptionId) has no lifecycleNotificationUrl")
            }
            var value = s.envelope(subscription)
            value["lifecycleEvent"] = .string(event)
            return (url, JSONValue.object(["value": .array([.object(value)])]).jsonText())
        }
        return try await deliver(payload, to: url)
    }

    private func deliver(_ payload: String, to url: String) async throws -> Int {
        let timeout = state.withLock { $0.deliveryTimeout }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: payload))
        do {
            let response = try await HTTPClient.test.execute(request, timeout: Self.timeAmount(timeout))
            _ = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            state.withLock { $0.deliveries.append(Delivery(url: url, body: payload, status: status, at: $0.now)) }
            return status
        } catch {
            state.withLock { $0.deliveries.append(Delivery(url: url, body: payload, status: nil, at: $0.now)) }
            throw error
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: - Routes

    func subscriptionsRoute(_ request: GraphRequest, _ rest: [String]) async -> Reply {
        switch (request.method, rest.count) {
        case ("GET", 0): return state.withLock { $0.listSubscriptions(request) }
        case ("POST", 0): return await createSubscription(request)
        case ("GET", 1): return state.withLock { $0.readSubscription(rest[0]) }
        case ("PATCH", 1): return await updateSubscription(request, id: rest[0])
        case ("DELETE", 1):
            return state.withLock { s in s.retire(rest[0]) ? .empty(204) : State.subscriptionNotFound(rest[0]) }
        case ("POST", 2) where rest[1].lowercased() == "reauthorize":
            return state.withLock { s in s.subscriptions.contains { $0.id == rest[0] } ? .empty(204) : State.subscriptionNotFound(rest[0]) }
        case (_, 0...2): return Self.methodNotAllowed(request)
        default: return .error(400, "BadRequest", "Resource not found for the segment '\(rest.last ?? "")'.")
        }
    }

    private func createSubscription(_ request: GraphRequest) async -> Reply {
        let subscription: Subscription
        switch state.withLock({ $0.planSubscription(request) }) {
        case .failure(let reply): return reply
        case .success(let planned): subscription = planned
        }
        // Graph calls the endpoints while the create request is still open, and only answers 201 after.
        if let failure = await validateEndpoint(subscription.notificationUrl, target: .notification) { return failure }
        if let lifecycle = subscription.lifecycleNotificationUrl,
            let failure = await validateEndpoint(lifecycle, target: .lifecycle)
        {
            return failure
        }
        return state.withLock { $0.insertSubscription(subscription) }
    }

    private func updateSubscription(_ request: GraphRequest, id: String) async -> Reply {
        let change: State.SubscriptionChange
        switch state.withLock({ $0.planUpdate(request, id: id) }) {
        case .failure(let reply): return reply
        case .success(let planned): change = planned
        }
        if let url = change.notificationUrl, let failure = await validateEndpoint(url, target: .notification) { return failure }
        return state.withLock { $0.applyUpdate(change) }
    }

    /// Graph's handshake: POST with the token in the query, expect 200, text/plain and the decoded token back.
    private func validateEndpoint(_ url: String, target: Validation.Target) async -> Reply? {
        let token = "Validation: Testing client application reachability for subscription Request-Id: \(GraphIDs.uuid()) + check"
        let fullURL = url + (url.contains("?") ? "&" : "?") + "validationToken=" + FormCoding.encode(token)
        let timeout = state.withLock { $0.validationTimeout }
        var status: Int?
        var contentType: String?
        var body: String?
        var timedOut = false
        do {
            var request = HTTPClientRequest(url: fullURL)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            request.body = .bytes(ByteBuffer())
            let response = try await HTTPClient.test.execute(request, deadline: .now() + Self.timeAmount(timeout))
            status = Int(response.status.code)
            contentType = response.headers.first(name: "Content-Type")
            body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            timedOut = true
        } catch {
            // Refused connections and broken answers fail validation like a wrong answer.
        }
        let succeeded = status == 200 && contentType?.lowercased().hasPrefix("text/plain") == true && body == token
        state.withLock {
            $0.validations.append(Validation(
                target: target, url: fullURL, token: token, status: status, contentType: contentType, body: body,
                succeeded: succeeded, timedOut: timedOut, at: $0.now))
        }
        if succeeded { return nil }
        if timedOut { return .error(400, "InvalidRequest", "Subscription validation request timed out.") }
        return .error(400, "ValidationError", "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")
    }
}

// MARK: - State

extension FakeGraph.State {
    struct SubscriptionChange: Sendable {
        let id: String
        let expiration: Date?
        let notificationUrl: String?
    }

    static func subscriptionNotFound(_ id: String) -> Reply {
        .error(404, "ResourceNotFound", "The object was not found.")
    }

    /// The fields every change and lifecycle notification carries.
    func envelope(_ subscription: FakeGraph.Subscription) -> [String: JSONValue] {
        [
            "id": .null,
            "subscriptionId": .string(subscription.id),
            "subscriptionExpirationDateTime": .string(GraphFormat.dateTime(subscription.expirationDateTime, zone: "+00:00")),
            "clientState": GraphJSON.string(subscription.clientState),
            "tenantId": .string(tenantId),
        ]
    }

    func subscriptionJSON(_ s: FakeGraph.Subscription, clientState: Bool, context: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(s.id),
            "resource": .string(s.resource),
            "applicationId": .string(clientId),
            "changeType": .string(s.changeType),
            "clientState": clientState ? GraphJSON.string(s.clientState) : .null,
            "notificationUrl": .string(s.notificationUrl),
            "notificationQueryOptions": .null,
            "lifecycleNotificationUrl": GraphJSON.string(s.lifecycleNotificationUrl),
            "expirationDateTime": .string(GraphFormat.dateTime(s.expirationDateTime)),
            "creatorId": .string(creatorId),
            "includeResourceData": .bool(false),
            "latestSupportedTlsVersion": .string(s.latestSupportedTlsVersion),
            "encryptionCertificate": .null,
            "encryptionCertificateId": .null,
            "notificationUrlAppId": .null,
        ]
        if context { object["@odata.context"] = .string("\(baseURL)/v1.0/$metadata#subscriptions/$entity") }
        return .object(object)
    }

    /// Enforces Graph's window: at most `maxSubscriptionMinutes` ahead; under 45 minutes is raised to 45.
    func clampExpiration(_ requested: Date) -> Result<Date, Reply> {
        let now = self.now
        if requested > now.addingTimeInterval(TimeInterval(maxSubscriptionMinutes * 60)) {
            return .failure(.error(400, "ExtensionError", "Subscription expiration can only be \(maxSubscriptionMinutes) minutes in the future."))
        }
        return .success(max(requested, now.addingTimeInterval(45 * 60)))
    }

    private static func changeTypes(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.sorted()
    }

    private static func normalizedResource(_ resource: String) -> String {
        var text = resource.lowercased()
        while text.hasPrefix("/") { text.removeFirst() }
        return text
    }

    func duplicate(of candidate: FakeGraph.Subscription) -> FakeGraph.Subscription? {
        subscriptions.first {
            Self.normalizedResource($0.resource) == Self.normalizedResource(candidate.resource)
                && Self.changeTypes($0.changeType) == Self.changeTypes(candidate.changeType)
                && $0.notificationUrl == candidate.notificationUrl
        }
    }

    private static func conflict(_ existing: FakeGraph.Subscription) -> Reply {
        .error(409, "Conflict", "Subscription Id \(existing.id) already exists for the requested combination")
    }

    /// Checks a create request and builds the subscription; validation and insertion come after.
    mutating func planSubscription(_ request: GraphRequest) -> Result<FakeGraph.Subscription, Reply> {
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return .failure(reply)
        case .success(let object): body = object
        }
        func missing(_ name: String) -> Reply { .error(400, "InvalidRequest", "Subscription property '\(name)' is required.") }
        guard let changeType = body["changeType"]?.stringValue, !changeType.isEmpty else { return .failure(missing("changeType")) }
        guard Self.changeTypes(changeType).allSatisfy({ ["created", "updated", "deleted"].contains($0) }) else {
            return .failure(.error(400, "InvalidRequest", "Invalid changeType '\(changeType)'."))
        }
        guard let notificationUrl = body["notificationUrl"]?.stringValue, !notificationUrl.isEmpty else { return .failure(missing("notificationUrl")) }
        // http is accepted (real Graph wants https) so tests can use plain local receivers.
        guard Self.isWebURL(notificationUrl) else {
            return .failure(.error(400, "InvalidRequest", "Invalid notification url '\(notificationUrl)'."))
        }
        let lifecycleUrl = body["lifecycleNotificationUrl"]?.stringValue
        if let lifecycleUrl, !Self.isWebURL(lifecycleUrl) {
            return .failure(.error(400, "InvalidRequest", "Invalid lifecycle notification url '\(lifecycleUrl)'."))
        }
        guard let resource = body["resource"]?.stringValue, !resource.isEmpty else { return .failure(missing("resource")) }
        let resourceSegments = GraphRequest.splitSegments(resource)
        if resourceSegments.first?.lowercased() == "me" {
            return .failure(.error(400, "BadRequest", "/me request is only valid with delegated authentication flow."))
        }
        guard let expirationText = body["expirationDateTime"]?.stringValue else { return .failure(missing("expirationDateTime")) }
        guard let requested = GraphFormat.parseDateTime(expirationText) else {
            return .failure(.error(400, "InvalidRequest", "Cannot convert the literal '\(expirationText)' to the expected type 'Edm.DateTimeOffset'."))
        }
        let clientState = body["clientState"]?.stringValue
        if let clientState, clientState.count > 128 {
            return .failure(.error(400, "InvalidRequest", "clientState must not be longer than 128 characters."))
        }
        let tls = body["latestSupportedTlsVersion"]?.stringValue ?? "v1_2"
        guard ["v1_0", "v1_1", "v1_2", "v1_3"].contains(tls) else {
            return .failure(.error(400, "InvalidRequest", "Invalid latestSupportedTlsVersion '\(tls)'."))
        }
        let expiration: Date
        switch clampExpiration(requested) {
        case .failure(let reply): return .failure(reply)
        case .success(let date): expiration = date
        }
        var mailbox: String?
        if resourceSegments.count >= 2, resourceSegments[0].lowercased() == "users" { mailbox = mailboxKey(resourceSegments[1]) }
        let subscription = FakeGraph.Subscription(
            id: GraphIDs.uuid(), resource: resource, changeType: changeType, notificationUrl: notificationUrl,
            lifecycleNotificationUrl: lifecycleUrl, expirationDateTime: expiration, clientState: clientState,
            latestSupportedTlsVersion: tls, immutableIds: request.prefer.immutableIds, mailboxId: mailbox, createdAt: now)
        if let existing = duplicate(of: subscription) { return .failure(Self.conflict(existing)) }
        return .success(subscription)
    }

    private static func isWebURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "https" || scheme == "http"
    }

    /// Checked again after validation: another create may have won meanwhile.
    mutating func insertSubscription(_ subscription: FakeGraph.Subscription) -> Reply {
        purgeExpiredSubscriptions()
        if let existing = duplicate(of: subscription) { return Self.conflict(existing) }
        subscriptions.append(subscription)
        return .json(201, subscriptionJSON(subscription, clientState: true, context: true))
    }

    mutating func listSubscriptions(_ request: GraphRequest) -> Reply {
        let offset = FormCoding.value("$skiptoken", in: request.query).flatMap { Int($0.dropFirst("offset-".count)) } ?? 0
        let page = subscriptions.dropFirst(offset).prefix(pageSize)
        var object: [String: JSONValue] = [
            "@odata.context": .string("\(baseURL)/v1.0/$metadata#subscriptions"),
            "value": .array(page.map { subscriptionJSON($0, clientState: false, context: false) }),
        ]
        if offset + page.count < subscriptions.count {
            object["@odata.nextLink"] = .string("\(baseURL)/v1.0/subscriptions?$skiptoken=offset-\(offset + page.count)")
        }
        return .json(200, .object(object))
    }

    func readSubscription(_ id: String) -> Reply {
        guard let subscription = subscriptions.first(where: { $0.id == id }) else { return Self.subscriptionNotFound(id) }
        return .json(200, subscriptionJSON(subscription, clientState: false, context: true))
    }

    mutating func planUpdate(_ request: GraphRequest, id: String) -> Result<SubscriptionChange, Reply> {
        guard subscriptions.contains(where: { $0.id == id }) else { return .failure(Self.subscriptionNotFound(id)) }
        let body: [String: JSONValue]
        switch request.jsonObject() {
        case .failure(let reply): return .failure(reply)
        case .success(let object): body = object
        }
        if body["lifecycleNotificationUrl"] != nil {
            return .failure(.error(400, "InvalidRequest", "lifecycleNotificationUrl can only be set when the subscription is created."))
        }
        var expiration: Date?
        if let text = body["expirationDateTime"]?.stringValue {
            guard let requested = GraphFormat.parseDateTime(text) else {
                return .failure(.error(400, "InvalidRequest", "Cannot convert the literal '\(text)' to the expected type 'Edm.DateTimeOffset'."))
            }
            switch clampExpiration(requested) {
            case .failure(let reply): return .failure(reply)
            case .success(let date): expiration = date
            }
        }
        let url = body["notificationUrl"]?.stringValue
        if let url, !Self.isWebURL(url) { return .failure(.error(400, "InvalidRequest", "Invalid notification url '\(url)'.")) }
        guard expiration != nil || url != nil else {
            return .failure(.error(400, "InvalidRequest", "Nothing to update: send expirationDateTime or notificationUrl."))
        }
        return .success(SubscriptionChange(id: id, expiration: expiration, notificationUrl: url))
    }

    mutating func applyUpdate(_ change: SubscriptionChange) -> Reply {
        purgeExpiredSubscriptions()
        guard let index = subscriptions.firstIndex(where: { $0.id == change.id }) else { return Self.subscriptionNotFound(change.id) }
        if let expiration = change.expiration { subscriptions[index].expirationDateTime = expiration }
        if let url = change.notificationUrl { subscriptions[index].notificationUrl = url }
        return .json(200, subscriptionJSON(subscriptions[index], clientState: false, context: true))
    }

    /// Removes a subscription but remembers it, so lifecycle events can still name it.
    @discardableResult
    mutating func retire(_ id: String) -> Bool {
        guard let index = subscriptions.firstIndex(where: { $0.id == id }) else { return false }
        retiredSubscriptions[id] = subscriptions.remove(at: index)
        return true
    }
}
