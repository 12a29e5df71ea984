import Foundation
import Hummingbird
import MailHookCore
import MailHookStore

/// The admin API (behind ``AdminAuthMiddleware``): email history, one email's whole trail, feedback
/// on its classification and what that feedback says. Registered only when `admin.token` is set, so without one the routes are 404.
struct AdminController: Sendable {
    let store: any AdminStore
    let bodyReader: BodyReader
    let metrics: ServerMetrics
    let redactor: SecretRedactor
    let sanitizer = Sanitizer()

    static let maxIdLength = 512

    func register(on router: Router<MailHookRequestContext>, token: Secret) {
        let admin = router.group().add(middleware: AdminAuthMiddleware(token: token))
        admin.get("/emails/history") { request, _ in try await history(request) }
        admin.get("/emails/{id}") { request, context in try await trail(request, context: context) }
        admin.post("/analytics/feedback") { request, context in try await feedback(request, context: context) }
        admin.get("/analytics/classification") { request, _ in try await classificationAnalytics(request) }
        admin.get("/analytics/processing") { request, _ in try await processingAnalytics(request) }
        admin.get("/analytics/patterns") { request, _ in try await patterns(request) }
        admin.get("/analytics/dashboard") { request, _ in try await dashboard(request) }
        admin.post("/analytics/simulate") { request, context in try await simulate(request, context: context) }
    }

    /// `POST /analytics/simulate` `{"routing": {…}, "days"?: N}`: what-if routing; nothing is changed or sent.
    func simulate(_ request: Request, context: MailHookRequestContext) async throws -> Response {
        let body = try await bodyReader.read(request)
        guard BodyReader.isJSON(request.headers[.contentType]) else { throw IntakeError.unsupportedMediaType(request.headers[.contentType]) }
        let json = try BodyReader.parseJSON(body, source: "admin", metrics: metrics)
        guard let members = json.objectValue else { throw IntakeError.badRequest("the body must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { $0 != "routing" && $0 != "days" }) {
            throw IntakeError.badRequest("unknown field \(unknown.clipped(to: 64).debugDescription)")
        }
        guard let section = json["routing"], section.objectValue != nil else { throw IntakeError.badRequest("routing must be an object") }
        var days = 30
        if let value = json["days"] {
            guard case .number(let n) = value, n.rounded() == n, n >= 1, n <= Double(EmailHistoryQuery.maxDays) else {
                throw IntakeError.badRequest("days must be a whole number from 1 to \(EmailHistoryQuery.maxDays)")
            }
            days = Int(n)
        }
        let routing: MailHookConfiguration.Routing
        do {
            routing = try RoutingSimulator.routing(section)
        } catch {
            throw IntakeError.badRequest(error.description)
        }
        return Self.json(.ok, JSONWriter.text(try await RoutingSimulator.run(store: store, routing: routing, days: days)))
    }

    /// `GET /analytics/dashboard`: no parameters.
    func dashboard(_ request: Request) async throws -> Response {
        guard request.uri.queryParameters.isEmpty else { throw IntakeError.badRequest("/analytics/dashboard takes no parameters") }
        return Self.json(.ok, redactor.redact(JSONWriter.text(try await store.dashboard())))
    }

    /// `GET /analytics/patterns?min_frequency=&min_automation_potential=&limit=&cursor=`.
    func patterns(_ request: Request) async throws -> Response {
        let query: PatternQuery
        do {
            query = try PatternQuery(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            throw IntakeError.badRequest(error.description)
        }
        return Self.json(.ok, redactor.redact(JSONWriter.text(try await store.patterns(query))))
    }

    /// `GET /analytics/processing?days=N`: totals, per-stage p50/p95 and daily trends.
    func processingAnalytics(_ request: Request) async throws -> Response {
        Self.json(.ok, redactor.redact(JSONWriter.text(try await store.processingAnalytics(days: try Self.days(request)))))
    }

    static func days(_ request: Request) throws -> Int {
        do {
            return try ClassificationAnalytics.days(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            throw IntakeError.badRequest(error.description)
        }
    }

    /// `GET /analytics/classification?days=N`: distribution, confidence, models, fallbacks and the
    /// agreement of people's feedback with MailHook's categories.
    func classificationAnalytics(_ request: Request) async throws -> Response {
        Self.json(.ok, redactor.redact(JSONWriter.text(try await store.classificationAnalytics(days: try Self.days(request)))))
    }

    /// `GET /emails/history?sender=&days=&limit=&category=&decision=&status=&cursor=`.
    func history(_ request: Request) async throws -> Response {
        let query: EmailHistoryQuery
        do {
            query = try EmailHistoryQuery(parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            throw IntakeError.badRequest(error.description)
        }
        return Self.json(.ok, redactor.redact(JSONWriter.text(try await store.emailHistory(query))))
    }

    /// `GET /emails/{id}`: the id as stored (`<endpoint>:<event id>` for integrations, Graph's
    /// immutable id for Graph mail), percent-encoded in the path.
    func trail(_ request: Request, context: MailHookRequestContext) async throws -> Response {
        let raw = context.parameters.get("id") ?? ""
        let id = raw.removingPercentEncoding ?? raw
        guard !id.isEmpty, id.utf8.count <= Self.maxIdLength, !id.utf8.contains(0) else {
            throw IntakeError.badRequest("the email id must be 1–\(Self.maxIdLength) bytes")
        }
        guard var trail = try await store.emailTrail(id: id) else { return Self.notFound("no email with this id") }
        // People see what the classifier saw: personal data masked as it was before classifying.
        trail.email.body = sanitizer.sanitize(trail.email.body).text
        return Self.json(.ok, redactor.redact(JSONWriter.text(trail)))
    }

    /// `POST /analytics/feedback`: 201 with the feedback id; 404 for an unknown email; 400 naming
    /// the field for anything else wrong.
    func feedback(_ request: Request, context: MailHookRequestContext) async throws -> Response {
        let body = try await bodyReader.read(request)
        guard BodyReader.isJSON(request.headers[.contentType]) else { throw IntakeError.unsupportedMediaType(request.headers[.contentType]) }
        let feedback: ClassificationFeedback
        do {
            feedback = try ClassificationFeedback(json: try BodyReader.parseJSON(body, source: "admin", metrics: metrics))
        } catch let invalid as ClassificationFeedback.Invalid {
            throw IntakeError.badRequest(invalid.description)
        }
        guard let id = try await store.recordFeedback(feedback) else { return Self.notFound("no email with this email_id") }
        return Self.json(.created, JSONWriter.text(FeedbackAnswer(status: "created", id: id)))
    }

    struct FeedbackAnswer: Encodable {
        let status: String
        let id: String
    }

    struct NotFound: Encodable {
        let status = "not_found"
        let reason: String
    }

    static func notFound(_ reason: String) -> Response { json(.notFound, JSONWriter.text(NotFound(reason: reason))) }

    /// Admin answers hold mail: no cache keeps them, and no browser reads them as anything but JSON.
    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .xContentTypeOptions: "nosniff", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
