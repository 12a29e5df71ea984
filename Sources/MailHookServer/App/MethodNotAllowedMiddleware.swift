import HTTPTypes
import Hummingbird

/// A known path asked with a method it does not serve answers 405 with `Allow`, not 404 (RFC 9110
/// §15.5.6). Added last, so it wraps only the router's not-found answer: matched routes never see it.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Per route pattern (`/emails/{id}`): its components, the methods it serves and their `Allow` value.
    let table: [(components: [Substring], methods: Set<HTTPRequest.Method>, allow: String)]

    init(routes: [(path: String, method: HTTPRequest.Method)]) {
        var byPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in routes { byPath[route.path, default: []].insert(route.method) }
        table = byPath.keys.sorted().map { path in
            let methods = byPath[path, default: []]
            return (path.split(separator: "/"), methods, methods.map(\.rawValue).sorted().joined(separator: ", "))
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let segments = request.uri.path.split(separator: "/")
        guard let entry = table.first(where: { Self.matches($0.components, segments) }), !entry.methods.contains(request.method) else {
            return try await next(request, context)
        }
        var response = JSONResponse.response(.methodNotAllowed, Answer(status: .rejected, reason: "method not allowed"))
        response.headers[.allow] = entry.allow
        return response
    }

    /// Literal components must be equal; `{name}` matches any one non-empty segment.
    static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        guard pattern.count == segments.count else { return false }
        for (p, s) in zip(pattern, segments) where !(p.hasPrefix("{") && p.hasSuffix("}")) && p != s {
            return false
        }
        return true
    }
}
