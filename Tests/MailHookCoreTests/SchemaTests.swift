import Foundation
import MailHookCore
import Testing

/// The JSON Schemas under `Schemas/` accept the shipped examples and agree with the product's own
/// loaders and parser (keys, ranges, enums, defaults, and what is rejected).
struct SchemaTests {
    // MARK: - Shipped examples

    @Test func shippedConfigurationValidates() throws {
        let document = try Self.document(Self.packageRoot.appendingPathComponent("Config/mailhook.json"))
        #expect(try Self.schema("mailhook-config.schema.json").validate(document) == [])
        // With nothing set in the environment every optional feature is off, and the file still loads.
        #expect(Self.loaderError(document) == nil)
    }

    @Test func shippedIntegrationsValidate() throws {
        let document = try Self.document(Self.packageRoot.appendingPathComponent("Config/integrations.json"))
        #expect(try Self.schema("integrations.schema.json").validate(document) == [])
        // Only enabled endpoints read their secrets.
        #expect(throws: Never.self) {
            _ = try IntegrationsConfiguration(root: document, environment: ["MAILHOOK_HELPDESK_SECRET": "helpdesk-secret"])
        }
    }

    @Test func theRequiredEventFixturesExist() {
        #expect(Set(["canonical.json", "reference.json", "imap-bridge.json"]).isSubset(of: Self.eventFixtures))
    }

    @Test(arguments: SchemaTests.eventFixtures)
    func eventFixtureValidates(_ name: String) throws {
        let document = try Self.document(Self.eventsDirectory.appendingPathComponent(name))
        #expect(try Self.schema("email-event.schema.json").validate(document) == [])
    }

    @Test(arguments: SchemaTests.eventFixtures)
    func eventFixtureIsAcceptedByTheParser(_ name: String) throws {
        let bytes = try Data(contentsOf: Self.eventsDirectory.appendingPathComponent(name))
        let event = try EmailEvent(json: JSONValue.parse(bytes))
        // Each fixture's file name starts with the shape it exercises.
        let shape = switch event.shape {
        case .canonical: "canonical"
        case .reference: "reference"
        case .imapBridge: "imap-bridge"
        }
        #expect(name.hasPrefix(shape))
    }

    // MARK: - Rejections

    struct Rejected: Sendable, CustomTestStringConvertible {
        enum Schema: String, Sendable {
            case config = "mailhook-config"
            case integrations
            case event = "email-event"
        }
        let schema: Schema
        let json: String
        /// The JSON path the schema's error must name.
        let path: String
        var testDescription: String { "\(schema.rawValue): \(json)" }
    }

    static func endpoint(url: String = "/webhooks/x", authentication: String) -> String {
        #"{"webhook_endpoints": [{"name": "x", "url": "\#(url)", "authentication": \#(authentication)}]}"#
    }

    static let rejected: [Rejected] = [
        Rejected(schema: .config, json: #"{"server": {"port": "abc"}}"#, path: "$.server.port"),
        Rejected(schema: .config, json: #"{"server": {"port": 70000}}"#, path: "$.server.port"),
        Rejected(schema: .config, json: #"{"server": {"port": "${MAILHOOK_PORT"}}"#, path: "$.server.port"),
        Rejected(schema: .config, json: #"{"servers": {}}"#, path: "$.servers"),
        Rejected(schema: .config, json: #"{"server": {"tls": {"certificateFile": "cert.pem"}}}"#, path: "$.server.tls.privateKeyFile"),
        Rejected(schema: .config, json: #"{"actions": {"mode": "sometimes"}}"#, path: "$.actions.mode"),
        Rejected(schema: .config, json: #"{"classifier": {"provider": "openai"}}"#, path: "$.classifier.baseUrl"),
        Rejected(schema: .config, json: #"{"classifier": {"structuredOutput": "xml"}}"#, path: "$.classifier.structuredOutput"),
        Rejected(schema: .config, json: #"{"classifier": {"criticalFromPercent": 0}}"#, path: "$.classifier.criticalFromPercent"),
        Rejected(schema: .config, json: #"{"admin": {"token": "short"}}"#, path: "$.admin.token"),
        Rejected(schema: .integrations, json: endpoint(authentication: #"{"type": "basic", "token": "t"}"#),
                 path: "$.webhook_endpoints[0].authentication.type"),
        Rejected(schema: .integrations, json: endpoint(authentication: #"{"type": "bearer_token", "secret": "s"}"#),
                 path: "$.webhook_endpoints[0].authentication.secret"),
        Rejected(schema: .integrations, json: endpoint(url: "/health", authentication: #"{"type": "bearer_token", "token": "t"}"#),
                 path: "$.webhook_endpoints[0].url"),
        Rejected(schema: .integrations, json: #"{"webhook_endpoints": {}}"#, path: "$.webhook_endpoints"),
        Rejected(schema: .event, json: #"{"type": "email.received", "message": {"from": {"name": "A"}}}"#,
                 path: "$.message.from.address"),
        Rejected(schema: .event, json: #"{"type": "email.sent", "message": {"from": {"address": "a@b.com"}}}"#, path: "$.type"),
        Rejected(schema: .event, json: #"{"type": "email.received", "graph": {"mailbox": "it@zgcompanies.com"}}"#,
                 path: "$.graph.messageId"),
        Rejected(schema: .event, json: #"{"event": {"type": "new_message", "email_content": {}}}"#, path: "$.event.sender"),
    ]

    @Test(arguments: SchemaTests.rejected)
    func rejectedBySchemaAndProduct(_ rejected: Rejected) throws {
        let document = try JSONValue.parse(Data(rejected.json.utf8))
        let errors = try Self.schema("\(rejected.schema.rawValue).schema.json").validate(document)
        #expect(errors.contains { $0.hasPrefix(rejected.path + ":") }, "schema errors: \(errors)")
        let productRejects = switch rejected.schema {
        case .config: (try? MailHookConfiguration(root: document, environment: [:])) == nil
        case .integrations: (try? IntegrationsConfiguration(root: document, environment: [:])) == nil
        case .event: (try? EmailEvent(json: document)) == nil
        }
        #expect(productRejects)
    }

    // MARK: - Agreement with the configuration loader

    @Test func configRangesAgreeWithTheLoader() throws {
        let validator = try Self.schema("mailhook-config.schema.json")
        var checked = 0
        for (path, property) in Self.leaves(of: validator) {
            guard let bounded = property["anyOf"]?.arrayValue?.first(where: { $0["minimum"] != nil }),
                  case .number(let low)? = bounded["minimum"], case .number(let high)? = bounded["maximum"]
            else { continue }
            checked += 1
            let key = path.joined(separator: ".")
            let step = bounded["type"] == .string("integer") ? 1.0 : 0.5
            for inside in [low, high] {
                let document = Self.nested(path, .number(inside))
                #expect(validator.validate(document) == [], "\(key) = \(inside)")
                // Cross-key rules (renewBeforeMinutes < subscriptionMinutes, …) may still object; the range may not.
                #expect(Self.loaderError(document)?.problem.contains("out of range") != true, "\(key) = \(inside)")
            }
            for outside in [low - step, high + step] {
                let document = Self.nested(path, .number(outside))
                #expect(validator.validate(document) != [], "\(key) = \(outside)")
                #expect(Self.loaderError(document)?.keyPath == key, "\(key) = \(outside)")
            }
            for text in ["abc", "${MAILHOOK_SCHEMA_TEST_UNSET:-\(low)}"] {
                let document = Self.nested(path, .string(text))
                let schemaAccepts = validator.validate(document).isEmpty
                let loaderAccepts = Self.loaderError(document)?.keyPath != key
                #expect(schemaAccepts == (text != "abc"), "\(key) = \(text)")
                #expect(loaderAccepts == (text != "abc"), "\(key) = \(text)")
            }
        }
        #expect(checked >= 21)
    }

    @Test func configEnumsAgreeWithTheLoader() throws {
        let validator = try Self.schema("mailhook-config.schema.json")
        var checked = 0
        for (path, property) in Self.leaves(of: validator) {
            guard let allowed = property["anyOf"]?.arrayValue?.compactMap({ $0["enum"]?.arrayValue }).first else { continue }
            checked += 1
            let key = path.joined(separator: ".")
            for value in allowed + [.string("sometimes")] {
                let document = Self.nested(path, value)
                let wrong = value == .string("sometimes")
                // An allowed value may still require other keys (provider "openai" needs baseUrl), not reject itself.
                #expect(validator.validate(document).contains { $0.hasPrefix("$.\(key):") } == wrong, "\(key) = \(value.jsonText())")
                #expect((Self.loaderError(document)?.keyPath == key) == wrong, "\(key) = \(value.jsonText())")
            }
        }
        #expect(checked >= 4)
        let categories = try #require(validator.resolve("#/$defs/category")?["enum"]?.arrayValue)
        #expect(categories == Category.names.map(JSONValue.string))
        let adjusted = validator.root["properties"]?["routing"]?["properties"]?["categoryAdjustments"]?["properties"]?.objectValue
        #expect(Set(adjusted.map { Array($0.keys) } ?? []) == Set(Category.names))
    }

    @Test func configDefaultsAndKeysAgreeWithTheLoader() throws {
        let validator = try Self.schema("mailhook-config.schema.json")
        let leaves = Self.leaves(of: validator)
        let loaded = try JSONValue.parse(JSONEncoder().encode(MailHookConfiguration.defaults()))
        var checked = 0
        for (path, property) in leaves {
            let key = path.joined(separator: ".")
            // A null value reads as absent, but its key is still checked against the known ones.
            #expect(Self.loaderError(Self.nested(path, .null))?.problem.hasPrefix("unknown key") != true, "\(key)")
            guard let documented = property["default"] else { continue }
            checked += 1
            let actual = path.reduce(Optional(loaded)) { $0?[$1] }
            #expect(actual == documented, "\(key)")
        }
        #expect(checked >= 36)

        // The reverse: every key the loader reports is declared (graph.enabled is derived, not read).
        let declared = Set(leaves.map { $0.path.joined(separator: ".") })
        var undeclared: [String] = []
        func collect(_ value: JSONValue, _ path: [String]) {
            let key = path.joined(separator: ".")
            guard !declared.contains(key) else { return }
            if let members = value.objectValue {
                for (name, member) in members { collect(member, path + [name]) }
            } else if key != "graph.enabled" {
                undeclared.append(key)
            }
        }
        collect(loaded, [])
        #expect(undeclared.sorted() == [])
    }

    // MARK: - The schemas themselves

    @Test(arguments: ["mailhook-config.schema.json", "integrations.schema.json", "email-event.schema.json"])
    func schemaIsWellFormed(_ name: String) throws {
        let validator = try Self.schema(name)
        let root = validator.root
        #expect(root["$schema"] == .string("https://json-schema.org/draft/2020-12/schema"))
        #expect(root["$id"]?.stringValue?.hasSuffix(name) == true)
        #expect(root["title"]?.stringValue?.isEmpty == false)
        #expect(root["description"]?.stringValue?.isEmpty == false)
        #expect(validator.unsupportedKeywords() == [])

        var undescribed: [String] = []
        var unresolved: [String] = []
        func visit(_ node: JSONValue, _ location: String) {
            if let members = node.objectValue {
                if let ref = members["$ref"]?.stringValue, validator.resolve(ref) == nil { unresolved.append("\(location): \(ref)") }
                for (name, property) in members["properties"]?.objectValue ?? [:] where property.objectValue != nil {
                    if property["description"]?.stringValue?.isEmpty != false { undescribed.append("\(location)/properties/\(name)") }
                }
                // Values and conditions are not declarations.
                for (key, child) in members where !["default", "enum", "const", "if"].contains(key) { visit(child, "\(location)/\(key)") }
            } else if let items = node.arrayValue {
                for (index, child) in items.enumerated() { visit(child, "\(location)/\(index)") }
            }
        }
        visit(root, "#")
        #expect(undescribed.sorted() == [])
        #expect(unresolved.sorted() == [])
    }

    @Test func validatorReportsPathsAndAlternatives() throws {
        let validator = try Self.schema("mailhook-config.schema.json")
        let document = try JSONValue.parse(Data(#"{"server": {"port": "abc", "extra": 1, "_note": "ok"}}"#.utf8))
        let errors = validator.validate(document)
        #expect(errors.count == 2)
        #expect(errors.contains { $0.hasPrefix("$.server.port: matches no alternative (expected integer, got a string | ") })
        #expect(errors.contains { $0.hasPrefix("$.server.extra: unknown property") })
    }

    // MARK: - Helpers

    /// The package root: the nearest directory above this file that holds Package.swift.
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    static let eventsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/events")

    static let eventFixtures: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: eventsDirectory.path)) ?? [])
        .filter { $0.hasSuffix(".json") }
        .sorted()

    static func schema(_ name: String) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(contentsOf: packageRoot.appendingPathComponent("Schemas/\(name)"))
    }

    static func document(_ url: URL) throws -> JSONValue {
        try JSONValue.parse(Data(contentsOf: url))
    }

    /// The configuration error for a document, or nil when it loads (with an empty environment).
    static func loaderError(_ document: JSONValue) -> ConfigError? {
        do {
            _ = try MailHookConfiguration(root: document, environment: [:])
            return nil
        } catch {
            return error
        }
    }

    /// `["server", "port"]`, 1 → `{"server": {"port": 1}}`.
    static func nested(_ path: [String], _ value: JSONValue) -> JSONValue {
        path.reversed().reduce(value) { inner, key in .object([key: inner]) }
    }

    /// Every property of the schema that has no properties of its own (following `$ref`), by key path.
    static func leaves(of validator: JSONSchemaValidator) -> [(path: [String], schema: JSONValue)] {
        var out: [(path: [String], schema: JSONValue)] = []
        func walk(_ schema: JSONValue, _ path: [String]) {
            let resolved = schema["$ref"]?.stringValue.flatMap(validator.resolve) ?? schema
            guard let properties = resolved["properties"]?.objectValue else {
                out.append((path, schema))
                return
            }
            for (key, property) in properties.sorted(by: { $0.key < $1.key }) { walk(property, path + [key]) }
        }
        walk(validator.root, [])
        return out
    }
}
