import Hummingbird
import MailHookCore

/// The admin routes' guard: `Authorization: Bearer <admin.token>`, compared in constant time.
/// A missing or wrong token is a bare 401; the routes do not exist at all without a token.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = MailHookRequestContext
    /// Nil lets nobody in (a route that must be guarded, without a token to guard it with).
    let token: Secret?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, WebhookSignature.verifyBearer(authorization: request.headers[.authorization], token: token) == .valid else {
            throw IntakeError.unauthorized
        }
        return try await next(request, context)
    }
}
