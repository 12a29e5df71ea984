import Foundation

/// The resolved `Config/integrations.json`. Only `webhook_endpoints` drive behaviour today;
/// `crm_systems` and `databases` are kept for the seed's shape and counted.
public struct IntegrationsConfiguration: Sendable, Encodable {
    public var webhookEndpoints: [WebhookEndpoint]
    public var crmSystemCount: Int
    public var databaseCount: Int

    public var enabledEndpoints: [WebhookEndpoint] { webhookEndpoints.filter(\.enabled) }

    public static let empty = IntegrationsConfiguration(webhookEndpoints: [], crmSystemCount: 0, databaseCount: 0)

    enum CodingKeys: String, CodingKey {
        case webhookEndpoints = "webhook_endpoints"
        case crmSystemCount = "crm_systems"
        case databaseCount = "databases"
    }

    /// Paths MailHook serves itself; an integration may not take them.
    public static let reservedPaths = ["/webhooks/graph", "/webhooks/graph/lifecycle", "/health", "/ready", "/metrics", "/openapi.yaml"]
    public static let reservedPrefixes = ["/analytics", "/emails", "/dashboard"]
}

public struct WebhookEndpoint: Sendable, Encodable {
    public var name: String
    public var enabled: Bool
    public var url: String
    public var authentication: Authentication
    public var filters: EmailFilter
    /// Mailboxes this endpoint's by-reference events may name; empty means `graph.mailboxes`.
    public var mailboxes: [String]

    public enum Authentication: Sendable, Encodable {
        case bearerToken(token: Secret)
        /// `header` carries `sha256=<hex>`; `X-Hub-Signature-256` is accepted as well.
        case hmacSHA256(secret: Secret, header: String)
        /// Standard Webhooks: the key is the base64-decoded `whsec_` secret.
        case standardWebhooks(key: SecretBytes)

        public var typeName: String {
            switch self {
            case .bearerToken: "bearer_token"
            case .hmacSHA256: "hmac_sha256"
            case .standardWebhooks: "standard_webhooks"
            }
        }

        enum CodingKeys: String, CodingKey { case type, token, secret, header }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(typeName, forKey: .type)
            switch self {
            case .bearerToken: try c.encode("***", forKey: .token)
            case .hmacSHA256(_, let header):
                try c.encode("***", forKey: .secret)
                try c.encode(header, forKey: .header)
            case .standardWebhooks: try c.encode("***", forKey: .secret)
            }
        }
    }
}

/// Secret key bytes; never printed.
public struct SecretBytes: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var description: String { "***" }
    public var debugDescription: String { "***" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

extension IntegrationsConfiguration {
    public init(root: JSONValue, environment: [String: String]) throws(ConfigError) {
        guard root.objectValue != nil else { throw ConfigError(keyPath: "", problem: "the integrations file must be a JSON object") }
        let r = ConfigReader(root: root, environment: environment)
        try r.rejectUnknownKeys(["crm_systems", "databases", "webhook_endpoints"])
        for key in ["crm_systems", "databases", "webhook_endpoints"] {
            if let v = r.raw(key), v.arrayValue == nil {
                throw ConfigError(keyPath: key, problem: "expected an array, got \(v.typeName)")
            }
        }
        crmSystemCount = r.raw("crm_systems")?.arrayValue?.count ?? 0
        databaseCount = r.raw("databases")?.arrayValue?.count ?? 0
        var endpoints: [WebhookEndpoint] = []
        let items = r.raw("webhook_endpoints")?.arrayValue ?? []
        for index in items.indices {
            let item = ConfigReader(root: .object(["e": items[index]]), environment: environment, path: ["e"])
            do {
                endpoints.append(try WebhookEndpoint(reader: item))
            } catch {
                let path = error.keyPath.replacingOccurrences(of: "e.", with: "webhook_endpoints[\(index)].", options: .anchored)
                throw ConfigError(keyPath: path == "e" ? "webhook_endpoints[\(index)]" : path, problem: error.problem)
            }
        }
        var names = Set<String>()
        var urls = Set<String>()
        for (index, endpoint) in endpoints.enumerated() {
            guard names.insert(endpoint.name).inserted else {
                throw ConfigError(keyPath: "webhook_endpoints[\(index)].name", problem: "\"\(endpoint.name)\" is used twice")
            }
            guard endpoint.enabled else { continue }
            guard urls.insert(endpoint.url).inserted else {
                throw ConfigError(keyPath: "webhook_endpoints[\(index)].url", problem: "\"\(endpoint.url)\" is used by another enabled endpoint")
            }
        }
        webhookEndpoints = endpoints
    }
}

extension WebhookEndpoint {
    init(reader r: ConfigReader) throws(ConfigError) {
        if r.node()?.objectValue == nil { throw ConfigError(keyPath: r.keyPath, problem: "expected an object") }
        try r.rejectUnknownKeys(["name", "enabled", "url", "authentication", "filters", "description", "mailboxes"])
        guard let name = try r.string("name"), !name.isEmpty else {
            throw ConfigError(keyPath: r.keyPath + ".name", problem: "required")
        }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw ConfigError(keyPath: r.keyPath + ".name", problem: "use letters, digits, '-', '_' or '.' only")
        }
        self.name = name
        let isEnabled = try r.bool("enabled", default: true)
        enabled = isEnabled
        guard let url = try r.string("url"), url.hasPrefix("/"), url.count > 1, !url.contains("?"), !url.contains("#"), !url.contains(" ") else {
            throw ConfigError(keyPath: r.keyPath + ".url", problem: "required: a path on this server such as \"/webhooks/email\"")
        }
        let normalized = url.count > 1 && url.hasSuffix("/") ? String(url.dropLast()) : url
        if IntegrationsConfiguration.reservedPaths.contains(normalized)
            || IntegrationsConfiguration.reservedPrefixes.contains(where: { normalized == $0 || normalized.hasPrefix($0 + "/") }) {
            throw ConfigError(keyPath: r.keyPath + ".url", problem: "\"\(normalized)\" is reserved by MailHook")
        }
        self.url = normalized
        filters = try EmailFilter(reader: try r.scoped("filters"))
        mailboxes = try r.stringArray("mailboxes")
        if let bad = mailboxes.firstIndex(where: { !MailboxName.isValid($0) }) {
            throw ConfigError(keyPath: r.keyPath + ".mailboxes[\(bad)]", problem: "expected a mailbox address or object id")
        }

        let a = try r.scoped("authentication")
        guard a.node()?.objectValue != nil else { throw ConfigError(keyPath: a.keyPath, problem: "required") }
        let type = try a.oneOf("type", ["bearer_token", "hmac_sha256", "standard_webhooks"], default: "")
        // A disabled endpoint is not mounted, so its secrets are not resolved (its ${VAR}s may be unset).
        func secret(_ key: String) throws(ConfigError) -> Secret {
            guard isEnabled else { return Secret("") }
            guard let value = try a.string(key), !value.isEmpty else {
                throw ConfigError(keyPath: a.keyPath + "." + key, problem: "required for \(type)")
            }
            return Secret(value)
        }
        switch type {
        case "bearer_token":
            try a.rejectUnknownKeys(["type", "token"])
            authentication = .bearerToken(token: try secret("token"))
        case "hmac_sha256":
            try a.rejectUnknownKeys(["type", "secret", "header"])
            let header = try a.string("header", default: "X-Signature")
            guard !header.isEmpty, header.utf8.count <= 64, header.utf8.allSatisfy(Self.isTokenCharacter) else {
                throw ConfigError(keyPath: a.keyPath + ".header", problem: "not a valid HTTP header name")
            }
            authentication = .hmacSHA256(secret: try secret("secret"), header: header)
        default:
            try a.rejectUnknownKeys(["type", "secret"])
            let text = try secret("secret").value
            if !isEnabled {
                authentication = .standardWebhooks(key: SecretBytes([]))
            } else {
                let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst("whsec_".count)) : text
                guard let key = Data(base64Encoded: encoded), !key.isEmpty else {
                    throw ConfigError(keyPath: a.keyPath + ".secret", problem: "expected \"whsec_\" followed by base64")
                }
                authentication = .standardWebhooks(key: SecretBytes(Array(key)))
            }
        }
    }

    /// RFC 9110 `tchar`: what an HTTP field name may be made of.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
