import Foundation
import HTTPTypes
import Hummingbird
import MailHookCore
import NIOCore
import Synchronization

/// A request as the handlers see it: body read, path split and decoded.
struct GraphRequest: Sendable {
    let method: String
    /// As received; links the fake hands out are built from it.
    let rawPath: String
    /// Percent-decoded path.
    let path: String
    /// Percent-decoded segments, with `name('x')` split into `name`, `x`.
    let segments: [String]
    let query: String
    /// Lowercased names, `authorization` left out.
    let headers: [String: String]
    let authorization: String?
    let body: String
    /// Arrival number, shared by the recorded call and any action the request makes.
    var sequence = 0
    /// Object id of the user a delegated token was issued for; nil for app-only tokens (set on admission).
    var user: String?

    var prefer: PreferHeader { PreferHeader(headers["prefer"]) }

    /// The body as a JSON object, or a Graph 400 reply.
    func jsonObject(required: Bool = true) -> Result<[String: JSONValue], Reply> {
        if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return required ? .failure(.error(400, "BadRequest", "Empty Payload, JSON content expected")) : .success([:])
        }
        guard let value = try? JSONValue.parse(Array(body.utf8)), let object = value.objectValue else {
            return .failure(.error(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."))
        }
        return .success(object)
    }

    static func splitSegments(_ rawPath: String) -> [String] {
        var out: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            let segment = String(raw).removingPercentEncoding ?? String(raw)
            // OData key syntax: mailFolders('Inbox') is mailFolders/Inbox, users('x') is users/x.
            if segment.hasSuffix(")"), let open = segment.firstIndex(of: "("), open != segment.startIndex {
                var key = segment[segment.index(after: open)..<segment.index(before: segment.endIndex)]
                if key.count >= 2, key.first == "'", key.last == "'" { key = key.dropFirst().dropLast() }
                out.append(String(segment[..<open]))
                out.append(String(key))
            } else {
                out.append(segment)
            }
        }
        return out
    }
}

/// What a handler answers; the request-id and the error envelope are added when it is sent.
struct Reply: Sendable {
    enum Body: Sendable {
        case empty
        case json(JSONValue)
        case graphError(code: String, message: String)
        /// Not JSON at all (a proxy's login page).
        case html(String)
    }

    var status: Int
    var body: Body
    var headers: [(String, String)] = []

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> Reply {
        Reply(status: status, body: .json(value), headers: headers)
    }

    static func error(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []) -> Reply {
        Reply(status: status, body: .graphError(code: code, message: message), headers: headers)
    }

    static func empty(_ status: Int) -> Reply { Reply(status: status, body: .empty) }

    static func throttled(retryAfter: Int) -> Reply {
        .error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", headers: [("Retry-After", String(retryAfter))])
    }
}

extension FakeGraph {
    static let maxRequestBody = 4 << 20

    // MARK: - Entry point

    func respond(to request: Request) async -> Response {
        let requestId = GraphIDs.uuid()
        let rawPath = request.uri.path
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        let authorization = headers.removeValue(forKey: "authorization")
        let bodyText: String?
        do {
            bodyText = String(buffer: try await request.body.collect(upTo: Self.maxRequestBody))
        } catch {
            bodyText = nil
        }
        var incoming = GraphRequest(
            method: request.method.rawValue, rawPath: rawPath, path: rawPath.removingPercentEncoding ?? rawPath,
            segments: GraphRequest.splitSegments(rawPath), query: request.uri.query ?? "", headers: headers,
            authorization: authorization, body: bodyText ?? "")
        let sequence = state.withLock { $0.record(incoming) }
        incoming.sequence = sequence
        let reply = bodyText == nil ? Reply.error(413, "RequestEntityTooLarge", "The request body is too large.") : await route(incoming)
        // The write is done and recorded; a held action's client now waits for an answer that does not come.
        await holdIfNeeded(sequence)
        state.withLock { $0.complete(sequence, status: reply.status) }
        return render(reply, requestId: requestId, clientRequestId: headers["client-request-id"])
    }

    private func route(_ request: GraphRequest) async -> Reply {
        let lower = request.segments.map { $0.lowercased() }
        if lower.count == 4, lower[1] == "oauth2", lower[2] == "v2.0", lower[3] == "token" {
            return state.withLock { $0.issueToken(tenant: request.segments[0], request) }
        }
        if lower.first == "v1.0" { return await graph(request, Array(request.segments.dropFirst())) }
        if lower.first == "workflows" { return state.withLock { $0.workflowPost(request, Array(request.segments.dropFirst())) } }
        return .error(404, "NotFound", "No such endpoint: \(request.method) \(request.path)")
    }

    /// Authentication, per-mailbox concurrency, injected failures and latency, then the resource handlers.
    private func graph(_ request: GraphRequest, _ segments: [String]) async -> Reply {
        var request = request
        let ticket: Ticket
        switch state.withLock({ $0.admit(request, segments) }) {
        case .failure(let reply): return reply
        case .success(let admitted): ticket = admitted
        }
        request.user = ticket.user
        if ticket.latency > .zero { try? await Task.sleep(for: ticket.latency) }
        let slow = state.withLock { s in s.slowRequests.first { $0.method == request.method && request.path.hasSuffix($0.pathSuffix) }?.delay }
        if let slow { try? await Task.sleep(for: slow) }
        let reply: Reply
        if let injected = ticket.injected {
            reply = injected
        } else {
            reply = await dispatch(request, segments)
        }
        if let mailbox = ticket.mailbox { state.withLock { $0.inFlight[mailbox, default: 1] -= 1 } }
        return reply
    }

    private func dispatch(_ request: GraphRequest, _ segments: [String]) async -> Reply {
        switch segments.first?.lowercased() {
        case "subscriptions": return await subscriptionsRoute(request, Array(segments.dropFirst()))
        case "users" where segments.count >= 2: return await usersRoute(request, mailbox: segments[1], Array(segments.dropFirst(2)))
        case "chats": return state.withLock { $0.chatsRoute(request, Array(segments.dropFirst())) }
        case "me": return await meRoute(request, Array(segments.dropFirst()))
        default: return .error(400, "BadRequest", "Resource not found for the segment '\(segments.first ?? "")'.")
        }
    }

    /// `/me/…` is `/users/{signed-in user}/…`, so only delegated tokens have one.
    private func meRoute(_ request: GraphRequest, _ rest: [String]) async -> Reply {
        guard let user = request.user else {
            return .error(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        }
        if rest.first?.lowercased() == "chats" {
            guard request.method == "GET" else { return Self.methodNotAllowed(request) }
            return state.withLock { $0.chatsRoute(request, Array(rest.dropFirst())) }
        }
        return await usersRoute(request, mailbox: user, rest)
    }

    static func methodNotAllowed(_ request: GraphRequest) -> Reply {
        .error(405, "Request_BadRequest", "The HTTP method '\(request.method)' is not allowed for \(request.path).")
    }

    // MARK: - Rendering

    private func render(_ reply: Reply, requestId: String, clientRequestId: String?) -> Response {
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("request-id")!, value: requestId))
        fields.append(HTTPField(name: HTTPField.Name("client-request-id")!, value: clientRequestId ?? requestId))
        for (name, value) in reply.headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let text: String
        switch reply.body {
        case .empty:
            text = ""
        case .json(let value):
            text = value.jsonText()
        case .html(let page):
            text = page
        case .graphError(let code, let message):
            let now = state.withLock { $0.now }
            let inner: JSONValue = .object([
                "date": .string(String(GraphFormat.dateTime(now).prefix(19))),
                "request-id": .string(requestId),
                "client-request-id": .string(clientRequestId ?? requestId),
            ])
            text = JSONValue.object(["error": .object(["code": .string(code), "message": .string(message), "innerError": inner])]).jsonText()
        }
        if !text.isEmpty {
            fields[.contentType] = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
        }
        return Response(
            status: HTTPResponse.Status(code: reply.status, reasonPhrase: Self.reasonPhrase(reply.status)),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }

    static func errorCode(forStatus status: Int) -> String {
        switch status {
        case 429: "TooManyRequests"
        case 500: "InternalServerError"
        case 502: "BadGateway"
        case 503: "ServiceNotAvailable"
        case 504: "GatewayTimeout"
        default: "UnknownError"
        }
    }
}

// MARK: - State: recording, admission (tokens: FakeGraph+Entra)

extension FakeGraph {
    struct Ticket: Sendable {
        let mailbox: String?
        /// The delegated token's user (object id); nil for app-only.
        let user: String?
        let injected: Reply?
        let latency: Duration
    }
}

extension Reply: Error {}

extension FakeGraph.State {
    mutating func record(_ request: GraphRequest) -> Int {
        callSequence += 1
        let delegated = Self.bearerToken(request.authorization).map { tokenUsers[$0] != nil } ?? false
        calls.append(FakeGraph.Call(
            method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body,
            at: now, status: 0, sequence: callSequence, delegated: delegated))
        return callSequence
    }

    static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
    }

    mutating func complete(_ sequence: Int, status: Int) {
        if let index = calls.lastIndex(where: { $0.sequence == sequence }) { calls[index].status = status }
    }

    /// Decides, at arrival, whether a `/v1.0` request proceeds and what it must suffer on the way.
    mutating func admit(_ request: GraphRequest, _ segments: [String]) -> Result<FakeGraph.Ticket, Reply> {
        purgeExpiredSubscriptions()
        let challenge = [("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"\(baseURL)/\(tenantId)/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"")]
        guard let token = Self.bearerToken(request.authorization) else {
            return .failure(.error(401, "InvalidAuthenticationToken", "Access token is empty.", headers: challenge))
        }
        guard let expiry = tokens[token] else {
            return .failure(.error(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed, there are no dots (.).", headers: challenge))
        }
        guard expiry > now else {
            return .failure(.error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", headers: challenge))
        }
        var mailbox: String?
        if segments.count >= 2, segments[0].lowercased() == "users" {
            let key = mailboxKey(segments[1])
            let count = inFlight[key, default: 0] + 1
            peakInFlight[key] = max(peakInFlight[key, default: 0], count)
            // Outlook allows 4 concurrent requests per app and mailbox.
            if count > 4 { return .failure(.throttled(retryAfter: 1)) }
            inFlight[key] = count
            mailbox = key
        }
        var injected: Reply?
        if let status = outageStatus {
            injected = .error(status, FakeGraph.errorCode(forStatus: status), "Injected outage \(status).")
        } else if garbledAnswers > 0 {
            garbledAnswers -= 1
            injected = Reply(status: 200, body: .html("<html><body>Please sign in to continue.</body></html>"))
        } else if var plan = failures, plan.remaining > 0 {
            plan.remaining -= 1
            failures = plan.remaining > 0 ? plan : nil
            let message = plan.status == 429 ? "Application is over its MailboxConcurrency limit." : "Injected failure \(plan.status)."
            let code = plan.status == 429 ? "ApplicationThrottled" : FakeGraph.errorCode(forStatus: plan.status)
            injected = .error(plan.status, code, message, headers: plan.retryAfter.map { [("Retry-After", $0)] } ?? [])
        } else if let throttle {
            throttleSequence += 1
            let n = Double(throttleSequence)
            if (n * throttle.fraction).rounded(.down) > ((n - 1) * throttle.fraction).rounded(.down) {
                injected = .throttled(retryAfter: throttle.retryAfterSeconds)
            }
        }
        return .success(FakeGraph.Ticket(mailbox: mailbox, user: tokenUsers[token], injected: injected, latency: latency))
    }
}
