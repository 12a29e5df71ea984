import Foundation
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOHTTP1
import Testing

/// `/dashboard` in a real browser: headless Chromium loads the page from a server holding 50
/// processed emails, runs its JavaScript against the admin API, and the rendered DOM must show the
/// seeded numbers and the review queue. `Scripts/test` installs Chromium and sets
/// MAILHOOK_TEST_CHROMIUM; without it the test is reported as skipped.
@Suite("Dashboard page")
struct DashboardPageTests {
    static let chromium = ProcessInfo.processInfo.environment["MAILHOOK_TEST_CHROMIUM"]

    /// Runs headless Chromium on `url` and returns the DOM after its scripts ran.
    static func renderedDOM(_ chromium: String, url: String) async throws -> String {
        let profile = TemporaryDirectory.make()
        let (status, out, err) = try await MailHookProcess.run(
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile.path)",
             "--virtual-time-budget=15000", "--dump-dom", url],
            executable: chromium, directory: profile)
        #expect(status == 0, "chromium: \(err.suffix(2000))")
        return out
    }

    /// The text of the element with `id` in `dom` (no nested tags expected).
    static func text(_ dom: String, id: String) -> String? {
        guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
        guard let open = dom[start.upperBound...].firstIndex(of: ">") else { return nil }
        let rest = dom[dom.index(after: open)...]
        guard let close = rest.firstIndex(of: "<") else { return nil }
        return String(rest[..<close])
    }

    @Test("the rendered page shows the seeded numbers, the charts and the review queue", .enabled(if: chromium != nil, "MAILHOOK_TEST_CHROMIUM is not set"))
    func renderedInChromium() async throws {
        let chromium = try #require(Self.chromium)
        try await TestServer.run(database: .sqlite, configure: AdminAPITests.configure, integrationsJSON: PipelineTests.integrations) { server in
            let count = 50
            for n in 1...count { #expect(try await PipelineTests.post(server, AnalyticsAPITests.event(n)).status == 202) }
            try await eventually { try await PipelineTests.settled(server) }
            let board = try JSONValue.parse(Array(try await server.get("/analytics/dashboard", headers: AdminAPITests.auth).body.utf8))
            let queue = board["review_queue"]?.arrayValue ?? []
            #expect(!queue.isEmpty)

            let token = AdminAPITests.adminToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let dom = try await Self.renderedDOM(chromium, url: "\(server.baseURL)/dashboard#token=\(token)")
            #expect(Self.text(dom, id: "processed-7d") == "\(count)", "\(dom.prefix(3000))")
            #expect(Self.text(dom, id: "processed-24h") == "\(count)")
            #expect(Self.text(dom, id: "escalations-7d") == "\(Int(board["last_7d"]?["escalations"]?.testNumber ?? -1))")
            #expect(Self.text(dom, id: "inbox-dead") == "0")
            #expect(dom.contains("id=\"board\"") && !dom.contains("id=\"board\" hidden"), "the board is shown, not the login form")
            // The review queue: one row per item, in the server's order.
            let rows = dom.components(separatedBy: "data-email-id=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
            #expect(rows == queue.compactMap { $0["id"]?.stringValue.map(Self.htmlEscaped) }, "\(rows)")
            // Charts drawn as SVG: a bar per day and per category, with the counts as text.
            #expect(dom.components(separatedBy: "class=\"bar\"").count - 1 == 1 + (board["categories"]?.arrayValue?.count ?? 0))
            for category in board["categories"]?.arrayValue ?? [] {
                let name = category["category"]?.stringValue ?? ""
                #expect(dom.contains("data-category=\"\(name)\">\(Int(category["count"]?.testNumber ?? -1))<"), "\(name)")
            }
            #expect(!dom.contains(AdminAPITests.adminToken), "the token is not left in the page")

            // A link to one email opens its trail: subject, decision, the feedback form.
            let first = try #require(queue.first?["id"]?.stringValue)
            let encoded = first.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let trailDOM = try await Self.renderedDOM(chromium, url: "\(server.baseURL)/dashboard#token=\(token)&email=\(encoded)")
            #expect(trailDOM.contains("<aside id=\"trail\" aria-labelledby"), "the trail panel is shown: \(trailDOM.suffix(4000))")
            #expect(Self.text(trailDOM, id: "trail-title") == queue.first?["subject"]?.stringValue)
            #expect(trailDOM.contains("<dd>\(queue.first?["decision"]?.stringValue ?? "?") ("), "the decision and its rule are listed")
            #expect(trailDOM.contains("id=\"feedback\""))

            // Without a token the page asks for one and shows no numbers.
            let login = try await Self.renderedDOM(chromium, url: "\(server.baseURL)/dashboard")
            #expect(login.contains("id=\"board\" hidden"))
            #expect(!login.contains("id=\"login\" hidden"))
        }
    }

    @Test("the page's files are served with a strict content security policy, and only with an admin token configured")
    func assetsAndHeaders() async throws {
        try await TestServer.run(database: .sqlite, configure: AdminAPITests.configure) { server in
            for (path, type) in [("/dashboard", "text/html"), ("/dashboard/dashboard.css", "text/css"), ("/dashboard/dashboard.js", "text/javascript")] {
                let reply = try await server.get(path)
                #expect(reply.status == 200, "\(path)")
                #expect(reply.headers["Content-Type"].first?.hasPrefix(type) == true, "\(path): \(reply.headers)")
                #expect(reply.headers["Content-Security-Policy"].first?.contains("script-src 'self'") == true)
                #expect(reply.headers["X-Content-Type-Options"].first == "nosniff")
            }
            let script = try await server.get("/dashboard/dashboard.js").body
            #expect(!script.contains("innerHTML"), "server values go in as text only")
        }
        try await TestServer.run(database: .sqlite, configure: { _ in }) { server in
            let reply = try await server.get("/dashboard")
            #expect(reply.status == 404, "no admin token, no dashboard")
        }
    }

    static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
