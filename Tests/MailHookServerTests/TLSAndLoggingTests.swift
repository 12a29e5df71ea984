import AsyncHTTPClient
import Foundation
import InMemoryLogging
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

@Suite("TLS and logging")
struct TLSAndLoggingTests {
    static func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path
    }

    @Test("native HTTPS with a self-signed certificate")
    func nativeTLS() async throws {
        let cert = try Self.fixture("tls-cert.pem")
        let key = try Self.fixture("tls-key.pem")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            let config = #"{"server": {"tls": {"certificateFile": "\#(cert)", "privateKeyFile": "\#(key)"}}}"#
            try await TestServer.run(database: .sqlite, configJSON: config, client: client) { server in
                #expect(server.baseURL.hasPrefix("https://"))
                #expect(try await server.get("/health").status == 200)
                let handshake = try await server.post("/webhooks/graph?validationToken=over+TLS", body: "", headers: [("Content-Type", "text/plain")])
                #expect(handshake.body == "over TLS")
                // Plain HTTP to the TLS port gets no HTTP answer.
                var plain = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/health")
                plain.method = .GET
                await #expect(throws: (any Error).self) { _ = try await HTTPClient.test.execute(plain, timeout: .seconds(2)) }
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("no secret, token or signature value appears in any log line or error body (SQLite)")
    func secretsStayOutOfLogsSQLite() async throws { try await secretsStayOutOfLogs(.sqlite) }

    @Test("no secret, token or signature value appears in any log line or error body (PostgreSQL)", .postgres)
    func secretsStayOutOfLogsPostgres() async throws { try await secretsStayOutOfLogs(.postgres) }

    func secretsStayOutOfLogs(_ database: TestDatabase) async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "mailhook", factory: { _ in handler })
        logger.logLevel = .trace
        let hmacSecret = "hmac-secret-0f9e8d7c"
        let bearer = "bearer-token-1a2b3c4d"
        let whsec = "whsec_" + Data("standard-webhooks-key-5e6f".utf8).base64EncodedString()
        let clientState = "client-state-9z8y7x"
        let integrations = """
            {"webhook_endpoints": [
              {"name": "h", "url": "/h", "authentication": {"type": "hmac_sha256", "secret": "${HMAC}"}},
              {"name": "b", "url": "/b", "authentication": {"type": "bearer_token", "token": "${BEARER}"}},
              {"name": "s", "url": "/s", "authentication": {"type": "standard_webhooks", "secret": "${WHSEC}"}}
            ]}
            """
        let (presented, bodies) = try await TestServer.run(
            database: database, configJSON: #"{"graph": {"clientState": "${STATE}"}}"#, integrationsJSON: integrations,
            environment: ["HMAC": hmacSecret, "BEARER": bearer, "WHSEC": whsec, "STATE": clientState], logger: logger
        ) { server in
            var sent: [String] = []
            var answers: [String] = []
            let body = Samples.canonicalEvent(id: "e1")
            let good = Signing.hmacHeader(body, secret: hmacSecret)
            let bad = Signing.hmacHeader(body, secret: "some-other-secret")
            sent += [good.1, bad.1, "Bearer wrong-bearer-5k6l", "Bearer \(bearer)"]
            for headers in [[good], [bad], [("Authorization", "Bearer wrong-bearer-5k6l")], [("Authorization", "Bearer \(bearer)")]] {
                for path in ["/h", "/b"] {
                    answers.append(try await server.post(path, body: body, headers: [("Content-Type", "application/json")] + headers).body)
                }
            }
            let sw = Signing.standardWebhooksHeaders(id: "msg-1", timestamp: Int(Date().timeIntervalSince1970), body: body, secret: whsec)
            sent.append(sw[3].1)
            answers.append(try await server.post("/s", body: body, headers: sw).body)
            answers.append(try await server.post("/s", body: body + " ", headers: sw).body)
            answers.append(try await server.post("/webhooks/graph", body: Samples.batch([
                Samples.graphItem(subscriptionId: "7a7a7a7a-0000-4000-8000-000000000001", clientState: clientState, messageId: "m"),
                Samples.graphItem(subscriptionId: "7b7b7b7b-0000-4000-8000-000000000002", clientState: "guessed-state-3j4k", messageId: "m"),
            ])).body)
            sent.append("guessed-state-3j4k")
            answers.append(try await server.get("/metrics").body)
            return (sent, answers)
        }
        #expect(handler.entries.count > 5, "the test saw the server's logs")
        let logText = handler.entries.map { "\($0.message) \($0.metadata) \(String(describing: $0.error))" }.joined(separator: "\n")
        let secrets = [hmacSecret, bearer, whsec, String(whsec.dropFirst(6)), clientState] + presented
            + presented.map { $0.replacingOccurrences(of: "sha256=", with: "").replacingOccurrences(of: "Bearer ", with: "") }
        for secret in secrets {
            #expect(!logText.contains(secret), "a log line contains \(secret.prefix(12))…")
            #expect(!bodies.contains { $0.contains(secret) }, "a response contains \(secret.prefix(12))…")
        }
    }
}
