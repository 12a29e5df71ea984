import Foundation
import Hummingbird
import Logging
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import OpenAPIKit
import Testing
import Yams

/// `Schemas/openapi.yaml` is a valid OpenAPI 3.1 document, describes exactly the routes the router
/// has (with the shipped configuration and an admin token) and is what `/openapi.yaml` serves.
@Suite("OpenAPI contract")
struct OpenAPIContractTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> (OpenAPI.Document, String) {
        let text = try String(contentsOf: root.appendingPathComponent("Schemas/openapi.yaml"), encoding: .utf8)
        return (try YAMLDecoder().decode(OpenAPI.Document.self, from: text), text)
    }

    /// "METHOD /path" for every operation in the document.
    static func documented(_ document: OpenAPI.Document) -> Set<String> {
        var operations: Set<String> = []
        for (path, item) in document.paths {
            guard let pathItem = item.pathItemValue else { continue }
            for endpoint in pathItem.endpoints { operations.insert("\(endpoint.method.rawValue.uppercased()) \(path.rawValue)") }
        }
        return operations
    }

    @Test("the document is valid OpenAPI 3.1 and every operation has an id and its responses")
    func valid() throws {
        let (document, _) = try Self.document()
        try document.validate()
        #expect(document.openAPIVersion.rawValue.hasPrefix("3.1"))
        for (path, item) in document.paths {
            for endpoint in item.pathItemValue?.endpoints ?? [] {
                #expect(endpoint.operation.operationId != nil, "\(endpoint.method) \(path.rawValue)")
                #expect(!endpoint.operation.responses.isEmpty, "\(endpoint.method) \(path.rawValue)")
            }
        }
    }

    @Test("every route the router has is in the document, and every documented operation is a route")
    func routesMatch() async throws {
        let (document, _) = try Self.document()
        var config = MailHookConfiguration.defaults()
        config.admin.token = Secret("contract-test-token")
        let integrationsText = try String(contentsOf: Self.root.appendingPathComponent("Config/integrations.json"), encoding: .utf8)
        let integrations = try IntegrationsConfiguration(
            root: try JSONValue.parse(Array(integrationsText.utf8)),
            environment: ["MAILHOOK_HELPDESK_SECRET": "s", "MAILHOOK_CRM_TOKEN": "t", "MAILHOOK_STANDARD_WEBHOOKS_SECRET": "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"])
        let database = try await TestDatabase.sqlite.makeDatabase()
        let routes = try await StoreFactory.withStore(database, logger: Logger(label: "test")) { [config] store in
            let app = MailHookApplication(configuration: config, integrations: integrations, store: store, logger: Logger(label: "test"))
            return Set(app.makeRouter().routes.map { "\($0.method.rawValue) \($0.path.description)" })
        }
        let documented = Self.documented(document)
        #expect(routes.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(routes.subtracting(documented).sorted())")
        #expect(documented.subtracting(routes).isEmpty, "documented but not served: \(documented.subtracting(routes).sorted())")
        #expect(routes.count >= 18)
    }

    @Test("GET /openapi.yaml serves the document")
    func served() async throws {
        let (_, text) = try Self.document()
        try await TestServer.run(database: .sqlite, configure: { _ in }) { server in
            let reply = try await server.get("/openapi.yaml")
            #expect(reply.status == 200)
            #expect(reply.body == text)
        }
    }
}
