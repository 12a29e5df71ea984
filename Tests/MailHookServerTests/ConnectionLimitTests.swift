import Foundation
import MailHookCore
import MailHookServer
import MailHookTestSupport
import Testing

/// Connections that never finish a request, too many connections, methods MailHook never
/// serves, oversize headers: none of them holds the server up.
@Suite("Connection limits")
struct ConnectionLimitTests {
    @Test("600 idle and 50 slow-header connections for 20 s: /health stays fast, the slow ones are closed at the header deadline")
    func slowloris() async throws {
        // Idle connections may sit far longer than the idle timeout's default 60 s when opening 600 of them
        // is slow: the test is about the header deadline, so the idle timeout is put out of its way.
        try await TestServer.run(database: .sqlite, configure: { $0.server.headerTimeoutSeconds = 3; $0.server.idleTimeoutSeconds = 900 }) { server in
            var idle: [RawConnection] = []
            for _ in 0..<600 { idle.append(try await RawConnection.open(port: server.port)) }
            var slow: [RawConnection] = []
            for _ in 0..<50 {
                let connection = try await RawConnection.open(port: server.port)
                try await connection.send("POST /webhooks/graph HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append(connection)
            }
            let clock = ContinuousClock()
            let start = clock.now
            var timings: [Duration] = []
            while clock.now - start < .seconds(20) {
                // One more header line now and then keeps a slow connection "active".
                for connection in slow where !connection.isClosed { try? await connection.send("X-Slow: 1\r\n") }
                let probe = clock.now
                #expect(try await server.get("/health").status == 200)
                timings.append(clock.now - probe)
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(timings.count > 40)
            // Scripts/test runs this test alone after the rest (MAILHOOK_TEST_ALONE=1): then every probe
            // must answer within 50 ms. Run beside the whole suite (server binaries, PostgreSQL restarts
            // on as few as two cores) some probes wait for the OS scheduler, not for MailHook, so there
            // nine in ten must, and every one within 1 s. A server held up by the slow connections would
            // take the 3 s header deadline or longer either way.
            let sorted = timings.sorted()
            let slowest = sorted.last ?? .zero
            if ProcessInfo.processInfo.environment["MAILHOOK_TEST_ALONE"] == "1" {
                #expect(slowest < .milliseconds(50), "slowest /health: \(slowest) of \(sorted.count)")
            } else {
                let p90 = sorted.isEmpty ? Duration.zero : sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
                #expect(p90 < .milliseconds(50), "p90 /health: \(p90)")
                #expect(slowest < .seconds(1), "slowest /health: \(slowest)")
            }
            #expect(slow.allSatisfy { $0.isClosed }, "every slow-header connection was closed")
            let lifetimes = slow.compactMap { $0.closed.map { $0 - start } }
            #expect(lifetimes.allSatisfy { $0 < .seconds(6) }, "closed at the 3 s header deadline: \(lifetimes.max() ?? .zero)")
            #expect(idle.filter { $0.isClosed }.isEmpty, "idle connections are the idle timeout's business")
            for connection in idle + slow { await connection.close() }
        }
    }

    @Test("connections beyond server.maxConnections are closed as they arrive")
    func maxConnections() async throws {
        try await TestServer.run(database: .sqlite, configure: { $0.server.maxConnections = 16 }) { server in
            var held: [RawConnection] = []
            for _ in 0..<16 { held.append(try await RawConnection.open(port: server.port)) }
            try await eventually { server.application.connectionLimits.current == 16 }
            let extra = try await RawConnection.open(port: server.port)
            try await eventually(timeout: .seconds(20)) { extra.isClosed }  // well before the 60 s idle timeout
            #expect(held.allSatisfy { !$0.isClosed })
            for connection in held { await connection.close() }
            try await eventually { server.application.connectionLimits.current == 0 }
            #expect(try await server.get("/health").status == 200)
        }
    }

    @Test("CONNECT is answered 501 at once and the connection is closed")
    func unsupportedMethods() async throws {
        try await TestServer.run(database: .sqlite) { server in
            for request in ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"] {
                let connection = try await RawConnection.open(port: server.port)
                try await connection.send(request)
                try await eventually(timeout: .seconds(20)) { connection.isClosed }  // well before the 60 s idle timeout
                #expect(connection.response.hasPrefix("HTTP/1.1 501"), "\(connection.response)")
            }
        }
    }

    @Test("a known path asked with a method it does not serve (TRACE included) is 405 with Allow, and nothing is echoed")
    func methodNotAllowed() async throws {
        try await TestServer.run(database: .sqlite, configure: AdminAPITests.configure) { server in
            for (request, allow) in [
                ("TRACE /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: echo-me\r\n\r\n", "GET"),
                ("PROPFIND /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "GET"),
                ("PUT /webhooks/graph HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", "POST"),
                ("DELETE /emails/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "GET"),
                ("GET /analytics/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "POST"),
            ] {
                let connection = try await RawConnection.open(port: server.port)
                try await connection.send(request)
                try await eventually { connection.response.contains("\r\n\r\n") }
                #expect(connection.response.hasPrefix("HTTP/1.1 405"), "\(connection.response)")
                #expect(connection.response.lowercased().contains("allow: \(allow.lowercased())\r\n"), "\(connection.response)")
                #expect(!connection.response.contains("echo-me"))
            }
            #expect(try await server.get("/no/such/path").status == 404, "unknown paths stay 404")
        }
    }

    @Test("too many or too large headers are refused (400) and the connection is closed")
    func headerLimits() async throws {
        try await TestServer.run(database: .sqlite, configure: { $0.server.maxHeaderCount = 20; $0.server.maxHeaderBytes = 4096 }) { server in
            let many = (0..<50).map { "X-H\($0): v\r\n" }.joined()
            let large = "X-Large: " + String(repeating: "a", count: 8192) + "\r\n"
            for headers in [many, large] {
                let connection = try await RawConnection.open(port: server.port)
                try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n")
                try await eventually(timeout: .seconds(20)) { connection.isClosed }  // well before the 60 s idle timeout
                #expect(connection.response.hasPrefix("HTTP/1.1 400"), "\(connection.response.prefix(80))")
            }
        }
    }
}
