import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/dashboard`: one static page (HTML, CSS, plain JavaScript shipped as resources, read once at
/// start) that asks for the admin token and reads the admin API. The files hold no data, so they
/// are served without the token; they exist only when `admin.token` is set, like the API.
struct DashboardPage: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let body: ByteBuffer
    }

    let assets: [String: Asset]

    /// Nil when the resources are missing from the build (then the routes are not registered).
    init?() {
        var assets: [String: Asset] = [:]
        for (name, type) in [("index.html", "text/html; charset=utf-8"), ("dashboard.css", "text/css; charset=utf-8"), ("dashboard.js", "text/javascript; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "dashboard"),
                  let data = FileManager.default.contents(atPath: url.path) else { return nil }
            assets[name] = Asset(contentType: type, body: ByteBuffer(bytes: data))
        }
        self.assets = assets
    }

    func register(on router: Router<MailHookRequestContext>) {
        router.get("/dashboard") { _, _ in response("index.html") }
        router.get("/dashboard/dashboard.css") { _, _ in response("dashboard.css") }
        router.get("/dashboard/dashboard.js") { _, _ in response("dashboard.js") }
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!

    /// Only this origin's own files and API; no framing; no referrer (the token never rides in a URL the server sees).
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy, "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        (.xContentTypeOptions, "nosniff"),
        (referrerPolicy, "no-referrer"),
        (.cacheControl, "no-store"),
    ]

    func response(_ name: String) -> Response {
        guard let asset = assets[name] else { return Response(status: .notFound) }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        for (field, value) in Self.securityHeaders { headers[field] = value }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }
}
