import HTTPTypes
import Hummingbird
import Logging

/// Counts every request by matched route, method and status, and logs it at debug level
/// (path only: query strings and bodies never reach a log line).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let response = try await next(request, context)
            record(request, context, response.status)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context, status)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, _ status: HTTPResponse.Status) {
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: status.code)
        context.logger.debug("request", metadata: [
            "mailhook.method": "\(request.method.rawValue)", "mailhook.path": "\(request.uri.path)", "mailhook.status": "\(status.code)",
        ])
    }
}
