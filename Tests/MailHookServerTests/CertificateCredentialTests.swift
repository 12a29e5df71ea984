import _CryptoExtras
import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
@testable import MailHookGraph
import MailHookTestSupport
import Testing

/// `graph.certificateFile` and `graph.privateKeyFile`: the app proves itself to Entra with a
/// client assertion signed by its certificate's key instead of a client secret, against a fake
/// Entra that checks the signature, the thumbprint, the audience and the times.
@Suite("Certificate credentials")
struct CertificateCredentialTests {
    static let certificateFile = try! TLSAndLoggingTests.fixture("tls-cert.pem")
    static let keyFile = try! TLSAndLoggingTests.fixture("tls-key.pem")
    /// `openssl x509 -in tls-cert.pem -outform DER | openssl dgst -sha1 -binary | base64`, base64url.
    static let thumbprint = "3_neNm6M3vIF-kSIvUvkL6GLA5U"
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func upload(to graph: FakeGraph) throws {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: keyFile, encoding: .utf8))
        graph.uploadedCertificates = [.init(publicKey: key.publicKey, thumbprint: thumbprint)]
    }

    static func tokens(_ graph: FakeGraph, _ certificate: ClientCertificate) -> TokenProvider {
        TokenProvider(
            credentials: .init(authorityHost: graph.authorityHost, tenantId: graph.tenantId, clientId: graph.clientId,
                               credential: .certificate(certificate), scope: GraphClient.scope(forBaseURL: graph.graphBaseURL)),
            httpClient: .test, logger: logger)
    }

    @Test("the certificate is named by its SHA-1 thumbprint; each token request carries a fresh assertion and no secret")
    func tokensByCertificate() async throws {
        let certificate = try ClientCertificate.load(certificateFile: Self.certificateFile, privateKeyFile: Self.keyFile)
        #expect(certificate.thumbprint == Self.thumbprint)
        try await FakeGraph.with { graph in
            try Self.upload(to: graph)
            let tokens = Self.tokens(graph, certificate)
            let first = try await tokens.token()
            graph.expireTokens()
            await tokens.invalidate(first)
            let second = try await tokens.token()
            #expect(first != second)
            let assertions = graph.acceptedAssertions
            #expect(assertions.count == 2)
            #expect(Set(assertions.compactMap { $0["jti"]?.stringValue }).count == 2, "a fresh assertion each time")
            #expect(assertions.allSatisfy { $0["aud"]?.stringValue == "\(graph.authorityHost)/\(graph.tenantId)/oauth2/v2.0/token" })
            #expect(graph.secretsPresented == 0, "no client secret is sent")
            for claims in assertions {
                guard case .number(let issued)? = claims["iat"], case .number(let expires)? = claims["exp"] else {
                    Issue.record("no iat or exp: \(claims)")
                    continue
                }
                #expect(expires - issued == 600, "valid ten minutes")
                #expect(claims["iss"]?.stringValue == graph.clientId && claims["sub"]?.stringValue == graph.clientId)
            }
            // The client reads Graph with such a token.
            let client = GraphClient(baseURL: graph.graphBaseURL, httpClient: .test, tokens: tokens, logger: Self.logger)
            #expect(try await client.userId(mailbox: "a@example.com").isEmpty == false)
        }
    }

    @Test("a certificate the app registration does not hold is refused as invalid_client, and the error carries no key")
    func unknownCertificate() async throws {
        let certificate = try ClientCertificate.load(certificateFile: Self.certificateFile, privateKeyFile: Self.keyFile)
        let key = try String(contentsOfFile: Self.keyFile, encoding: .utf8)
        try await FakeGraph.with { graph in
            do {
                _ = try await Self.tokens(graph, certificate).token()
                Issue.record("expected Entra to refuse the assertion")
            } catch let error as GraphError {
                #expect(error.kind == .authentication && error.code == "invalid_client", "\(error)")
                #expect(error.message.contains("not registered"), "\(error.message)")
                let text = "\(error) \(String(reflecting: error))"
                let keyLines = key.split(separator: "\n").filter { !$0.hasPrefix("-----") }
                #expect(!keyLines.contains { text.contains($0) } && !text.contains("PRIVATE KEY"))
            }
            #expect(graph.acceptedAssertions.isEmpty)
        }
    }

    @Test("unreadable or wrong files stop the start naming their key")
    func badFiles() throws {
        func problem(_ certificate: String, _ key: String) -> String? {
            do {
                _ = try ClientCertificate.load(certificateFile: certificate, privateKeyFile: key)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem("/nonexistent/app.pem", Self.keyFile) == #"graph.certificateFile: cannot read "/nonexistent/app.pem""#)
        #expect(problem(Self.certificateFile, "/nonexistent/app.key") == #"graph.privateKeyFile: cannot read "/nonexistent/app.key""#)
        #expect(problem(Self.keyFile, Self.keyFile) == "graph.certificateFile: no PEM certificate in the file")
        #expect(problem(Self.certificateFile, Self.certificateFile) == "graph.privateKeyFile: not an RSA private key of 2048 bits or more in PEM")
        // A key of another certificate: Entra would refuse every assertion, so the start refuses it.
        let otherKey = FileManager.default.temporaryDirectory.appendingPathComponent("mailhook-other-\(UUID().uuidString).key").path
        try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation.write(toFile: otherKey, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: otherKey) }
        #expect(problem(Self.certificateFile, otherKey) == "graph.privateKeyFile: does not belong to the (first) certificate in graph.certificateFile")
        // Graph off: certificate paths left in the file are not read.
        let off = MailHookConfiguration.Graph(tenantId: nil, certificateFile: "/nonexistent/app.pem", privateKeyFile: "/nonexistent/app.key")
        #expect(try GraphClient.credential(off) == nil)
        var graph = MailHookConfiguration.Graph(tenantId: "t", clientId: "app", certificateFile: "/nonexistent/app.pem", privateKeyFile: Self.keyFile)
        #expect(throws: ConfigError.self) { try GraphClient.make(configuration: graph, httpClient: .test, logger: Self.logger) }
        graph.certificateFile = Self.certificateFile
        #expect(try GraphClient.make(configuration: graph, httpClient: .test, logger: Self.logger) != nil)
    }

    @Test("a server with a certificate credential subscribes and catches up; Entra never sees a secret")
    func serverEndToEnd() async throws {
        try await FakeGraph.with { graph in
            try Self.upload(to: graph)
            let settings = GraphSyncTests.settings(["it@contoso.example"]) { g in
                g.clientSecret = nil
                g.certificateFile = Self.certificateFile
                g.privateKeyFile = Self.keyFile
            }
            try await GraphSyncTests.run(.sqlite, graph: graph, settings: settings) { _ in
                #expect(graph.subscriptions.count == 1)
                #expect(!graph.acceptedAssertions.isEmpty)
                #expect(graph.secretsPresented == 0)
            }
        }
    }
}
