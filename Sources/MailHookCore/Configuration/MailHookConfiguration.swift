import Foundation

/// The resolved `Config/mailhook.json`: parsed once at startup into immutable values.
/// Encoding it gives the `check-config` view, with every secret shown as `***`.
public struct MailHookConfiguration: Sendable, Encodable {
    public var server: Server
    public var database: Database
    public var graph: Graph
    public var pipeline: Pipeline
    public var classifier: Classifier
    public var routing: Routing
    public var actions: Actions
    public var teams: Teams
    public var admin: Admin

    public struct Server: Sendable, Encodable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var publicBaseUrl: String?
        public var tls: TLS?
        /// Longest time a request may take to arrive in full before it is answered 408.
        public var requestTimeoutSeconds: Int
        /// Idle keep-alive connections are closed after this long.
        public var idleTimeoutSeconds: Int
        public var logLevel: String
    }

    public struct TLS: Sendable, Encodable {
        public var certificateFile: String
        public var privateKeyFile: String
    }

    public struct Database: Sendable, Encodable {
        public var url: DatabaseURL
        /// PostgreSQL pool size (connections per replica).
        public var maxConnections: Int

        public init(url: DatabaseURL, maxConnections: Int = 16) {
            self.url = url
            self.maxConnections = maxConnections
        }
    }

    public struct Graph: Sendable, Encodable {
        /// False when `graph.tenantId` is absent: the server runs without Graph features.
        public var enabled: Bool
        public var tenantId: String?
        public var clientId: String?
        public var clientSecret: Secret?
        public var authorityHost: String
        public var baseUrl: String
        public var mailboxes: [String]
        public var folder: String
        public var clientState: Secret?
        public var filters: EmailFilter
        public var deltaIntervalMinutes: Int
        public var subscriptionMinutes: Int
        public var renewBeforeMinutes: Int
        public var renewIntervalSeconds: Int
    }

    public struct Pipeline: Sendable, Encodable {
        public var concurrency: Int
        public var maxAttempts: Int
        public var leaseSeconds: Int
    }

    public struct Classifier: Sendable, Encodable {
        public var provider: String
        public var baseUrl: String?
        public var apiKey: Secret?
        public var model: String?
        public var timeoutSeconds: Int
    }

    public struct Routing: Sendable, Encodable {
        public struct Thresholds: Sendable, Encodable {
            public var autoHandle: Double
            public var suggestResponse: Double
            public var humanReview: Double
        }
        public var thresholds: Thresholds
        public var categoryAdjustments: [String: Double]
        public var autoRespondCategories: [String]
    }

    public struct Actions: Sendable, Encodable {
        public var mode: String
    }

    public struct Teams: Sendable, Encodable {
        public var mode: String
        public var expertiseMapping: [String: [String]]
        public var userExpertise: [String: [String]]
        public var fallbackMember: String?
        public var delegatedRefreshToken: Secret?
        public var workflowUrl: Secret?
    }

    public struct Admin: Sendable, Encodable {
        public var token: Secret?
    }

    public static let categories = ["PURCHASING", "SUPPORT", "INFORMATION", "ESCALATION", "CONSULTATION"]
}

// MARK: - Database URL

/// `sqlite://relative/path`, `sqlite:///absolute/path`, `sqlite::memory:` or
/// `postgres://user:password@host:5432/database?sslmode=disable|prefer|require`.
public enum DatabaseURL: Sendable, Equatable, Encodable {
    case sqlite(path: String)
    case postgres(Postgres)

    public struct Postgres: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: Secret?
        public var database: String
        public var tlsMode: String
    }

    public struct Invalid: Error, Equatable {
        public let reason: String
    }

    public static func parse(_ text: String) -> Result<DatabaseURL, Invalid> {
        if text == "sqlite::memory:" { return .success(.sqlite(path: ":memory:")) }
        if text.hasPrefix("sqlite://") {
            let path = String(text.dropFirst("sqlite://".count))
            guard !path.isEmpty else { return .failure(Invalid(reason: "the SQLite path is empty")) }
            return .success(.sqlite(path: path))
        }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            return .failure(Invalid(reason: "expected sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"))
        }
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            return .failure(Invalid(reason: "not a valid postgres:// URL"))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { return .failure(Invalid(reason: "the postgres URL names no database")) }
        guard let user = components.user, !user.isEmpty else { return .failure(Invalid(reason: "the postgres URL names no user")) }
        var tls = "disable"
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            guard ["disable", "prefer", "require"].contains(mode) else {
                return .failure(Invalid(reason: "sslmode must be disable, prefer or require"))
            }
            tls = mode
        }
        return .success(.postgres(Postgres(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { Secret($0.removingPercentEncoding ?? $0) },
            database: database,
            tlsMode: tls
        )))
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return path == ":memory:" ? "sqlite::memory:" : "sqlite://\(path)"
        case .postgres(let p):
            let auth = p.password == nil ? p.username : "\(p.username):***"
            return "postgres://\(auth)@\(p.host):\(p.port)/\(p.database)?sslmode=\(p.tlsMode)"
        }
    }

    public var kind: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(redacted)
    }
}

// MARK: - Loading

extension MailHookConfiguration {
    /// Reads the configuration; `root` may be `.object([:])` for all defaults.
    public init(root: JSONValue, environment: [String: String]) throws(ConfigError) {
        let r = ConfigReader(root: root, environment: environment)
        guard root.objectValue != nil else { throw ConfigError(keyPath: "", problem: "the configuration must be a JSON object") }
        try r.rejectUnknownKeys(["server", "database", "graph", "pipeline", "classifier", "routing", "actions", "teams", "admin"])

        // server
        let s = try r.scoped("server")
        try s.rejectUnknownKeys(["host", "port", "maxBodyBytes", "publicBaseUrl", "tls", "requestTimeoutSeconds", "idleTimeoutSeconds", "logLevel"])
        let host = try s.string("host", default: "127.0.0.1")
        guard !host.isEmpty else { throw ConfigError(keyPath: "server.host", problem: "must not be empty") }
        var tls: TLS?
        let t = try s.scoped("tls")
        if let cert = try t.optionalString("certificateFile") {
            guard let key = try t.optionalString("privateKeyFile") else {
                throw ConfigError(keyPath: "server.tls.privateKeyFile", problem: "required when server.tls.certificateFile is set")
            }
            tls = TLS(certificateFile: cert, privateKeyFile: key)
        } else if try t.optionalString("privateKeyFile") != nil {
            throw ConfigError(keyPath: "server.tls.certificateFile", problem: "required when server.tls.privateKeyFile is set")
        }
        let publicBaseUrl = try s.optionalString("publicBaseUrl")
        if let publicBaseUrl {
            guard let u = URLComponents(string: publicBaseUrl), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                throw ConfigError(keyPath: "server.publicBaseUrl", problem: "expected an absolute https:// URL, got \"\(publicBaseUrl)\"")
            }
        }
        server = Server(
            host: host,
            port: try s.int("port", default: 8080, range: 0...65535),
            maxBodyBytes: try s.int("maxBodyBytes", default: 1_048_576, range: 1024...(256 << 20)),
            publicBaseUrl: publicBaseUrl.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            tls: tls,
            requestTimeoutSeconds: try s.int("requestTimeoutSeconds", default: 30, range: 1...600),
            idleTimeoutSeconds: try s.int("idleTimeoutSeconds", default: 60, range: 1...3600),
            logLevel: try s.oneOf("logLevel", ["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")
        )

        // database
        let d = try r.scoped("database")
        try d.rejectUnknownKeys(["url", "maxConnections"])
        let urlText = try d.string("url", default: "sqlite://data/mailhook.sqlite")
        switch DatabaseURL.parse(urlText) {
        case .success(let url):
            database = Database(url: url, maxConnections: try d.int("maxConnections", default: 16, range: 1...500))
        case .failure(let invalid):
            throw ConfigError(keyPath: "database.url", problem: invalid.reason)
        }

        // graph
        let g = try r.scoped("graph")
        try g.rejectUnknownKeys([
            "tenantId", "clientId", "clientSecret", "authorityHost", "baseUrl", "mailboxes", "folder", "clientState",
            "filters", "deltaIntervalMinutes", "subscriptionMinutes", "renewBeforeMinutes", "renewIntervalSeconds",
        ])
        let tenantId = try g.optionalString("tenantId")
        let enabled = tenantId != nil
        let clientId = enabled ? try g.string("clientId") : try g.optionalString("clientId")
        if enabled, clientId?.isEmpty ?? true {
            throw ConfigError(keyPath: "graph.clientId", problem: "required when graph.tenantId is set")
        }
        let clientSecret = enabled ? try g.secret("clientSecret") : nil
        if enabled, clientSecret?.isEmpty ?? true {
            throw ConfigError(keyPath: "graph.clientSecret", problem: "required when graph.tenantId is set")
        }
        let clientState = try g.optionalString("clientState").map(Secret.init)
        if let clientState, clientState.value.count > 128 {
            throw ConfigError(keyPath: "graph.clientState", problem: "must be at most 128 characters")
        }
        let authorityHost = try g.string("authorityHost", default: "https://login.microsoftonline.com")
        let baseUrl = try g.string("baseUrl", default: "https://graph.microsoft.com/v1.0")
        for (key, value) in [("authorityHost", authorityHost), ("baseUrl", baseUrl)] {
            guard let u = URLComponents(string: value), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                throw ConfigError(keyPath: "graph.\(key)", problem: "expected an absolute URL, got \"\(value)\"")
            }
        }
        let subscriptionMinutes = try g.int("subscriptionMinutes", default: 4230, range: 45...10080)
        let renewBefore = try g.int("renewBeforeMinutes", default: 60, range: 1...10000)
        guard renewBefore < subscriptionMinutes else {
            throw ConfigError(keyPath: "graph.renewBeforeMinutes", problem: "must be less than graph.subscriptionMinutes (\(subscriptionMinutes))")
        }
        let mailboxes = try g.stringArray("mailboxes")
        if enabled, let empty = mailboxes.firstIndex(where: { $0.isEmpty }) {
            throw ConfigError(keyPath: "graph.mailboxes[\(empty)]", problem: "must not be empty")
        }
        graph = Graph(
            enabled: enabled,
            tenantId: tenantId,
            clientId: clientId,
            clientSecret: clientSecret,
            authorityHost: authorityHost.hasSuffix("/") ? String(authorityHost.dropLast()) : authorityHost,
            baseUrl: baseUrl.hasSuffix("/") ? String(baseUrl.dropLast()) : baseUrl,
            mailboxes: mailboxes,
            folder: try g.string("folder", default: "Inbox"),
            clientState: clientState,
            filters: try EmailFilter(reader: try g.scoped("filters")),
            deltaIntervalMinutes: try g.int("deltaIntervalMinutes", default: 360, range: 1...10080),
            subscriptionMinutes: subscriptionMinutes,
            renewBeforeMinutes: renewBefore,
            renewIntervalSeconds: try g.int("renewIntervalSeconds", default: 300, range: 1...86400)
        )

        if graph.enabled, !graph.mailboxes.isEmpty, server.publicBaseUrl == nil {
            throw ConfigError(keyPath: "server.publicBaseUrl", problem: "required when graph.mailboxes are configured (Graph calls this HTTPS URL back)")
        }

        // pipeline
        let p = try r.scoped("pipeline")
        try p.rejectUnknownKeys(["concurrency", "maxAttempts", "leaseSeconds"])
        pipeline = Pipeline(
            concurrency: try p.int("concurrency", default: 8, range: 1...256),
            maxAttempts: try p.int("maxAttempts", default: 6, range: 1...100),
            leaseSeconds: try p.int("leaseSeconds", default: 120, range: 5...86400)
        )

        // classifier
        let c = try r.scoped("classifier")
        try c.rejectUnknownKeys(["provider", "baseUrl", "apiKey", "model", "timeoutSeconds"])
        let provider = try c.oneOf("provider", ["local", "openai"], default: "local")
        let llm = provider == "openai"
        let classifierBase = llm ? try c.string("baseUrl") : try c.optionalString("baseUrl")
        if llm {
            guard let classifierBase, let u = URLComponents(string: classifierBase), u.host?.isEmpty == false else {
                throw ConfigError(keyPath: "classifier.baseUrl", problem: "required (an absolute URL) when classifier.provider is \"openai\"")
            }
        }
        let apiKey = llm ? try c.secret("apiKey") : nil
        if llm, apiKey?.isEmpty ?? true {
            throw ConfigError(keyPath: "classifier.apiKey", problem: "required when classifier.provider is \"openai\"")
        }
        let model = llm ? try c.string("model") : try c.optionalString("model")
        if llm, model?.isEmpty ?? true {
            throw ConfigError(keyPath: "classifier.model", problem: "required when classifier.provider is \"openai\"")
        }
        classifier = Classifier(
            provider: provider,
            baseUrl: classifierBase.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
            apiKey: apiKey,
            model: model,
            timeoutSeconds: try c.int("timeoutSeconds", default: 30, range: 1...600)
        )

        // routing
        let ro = try r.scoped("routing")
        try ro.rejectUnknownKeys(["thresholds", "categoryAdjustments", "autoRespondCategories"])
        let th = try ro.scoped("thresholds")
        try th.rejectUnknownKeys(["autoHandle", "suggestResponse", "humanReview"])
        let thresholds = Routing.Thresholds(
            autoHandle: try th.double("autoHandle", default: 85, range: 0...100),
            suggestResponse: try th.double("suggestResponse", default: 60, range: 0...100),
            humanReview: try th.double("humanReview", default: 40, range: 0...100)
        )
        guard thresholds.humanReview <= thresholds.suggestResponse else {
            throw ConfigError(keyPath: "routing.thresholds.humanReview", problem: "must not exceed routing.thresholds.suggestResponse")
        }
        let adj = try ro.scoped("categoryAdjustments")
        try adj.rejectUnknownKeys(Set(Self.categories))
        var adjustments: [String: Double] = ["PURCHASING": 0.95, "SUPPORT": 0.85, "INFORMATION": 0.80, "ESCALATION": 0.90, "CONSULTATION": 0.75]
        for category in Self.categories where adj.contains(category) {
            adjustments[category] = try adj.double(category, default: adjustments[category] ?? 0.85, range: 0...1)
        }
        let autoRespond = ro.contains("autoRespondCategories") ? try ro.stringArray("autoRespondCategories") : ["INFORMATION", "SUPPORT"]
        for (i, category) in autoRespond.enumerated() where !Self.categories.contains(category) {
            throw ConfigError(keyPath: "routing.autoRespondCategories[\(i)]", problem: "\"\(category)\" is not one of \(Self.categories.joined(separator: ", "))")
        }
        routing = Routing(thresholds: thresholds, categoryAdjustments: adjustments, autoRespondCategories: autoRespond)

        // actions
        let a = try r.scoped("actions")
        try a.rejectUnknownKeys(["mode"])
        actions = Actions(mode: try a.oneOf("mode", ["dry-run", "live"], default: "dry-run"))

        // teams
        let tm = try r.scoped("teams")
        try tm.rejectUnknownKeys(["mode", "expertiseMapping", "userExpertise", "fallbackMember", "delegatedRefreshToken", "workflowUrl"])
        let teamsMode = try tm.oneOf("mode", ["graph-chat", "workflow-webhook", "off"], default: "off")
        func stringListMap(_ key: String) throws(ConfigError) -> [String: [String]] {
            let sub = try tm.scoped(key)
            guard let object = sub.node()?.objectValue else { return [:] }
            var out: [String: [String]] = [:]
            for name in object.keys { out[name] = try sub.stringArray(name) }
            return out
        }
        let delegated = teamsMode == "graph-chat" ? try tm.secret("delegatedRefreshToken") : nil
        if teamsMode == "graph-chat", delegated?.isEmpty ?? true {
            throw ConfigError(keyPath: "teams.delegatedRefreshToken", problem: "required when teams.mode is \"graph-chat\" (posting into a chat needs a delegated token)")
        }
        let workflowUrl = teamsMode == "workflow-webhook" ? try tm.secret("workflowUrl") : nil
        if teamsMode == "workflow-webhook" {
            guard let workflowUrl, let u = URLComponents(string: workflowUrl.value), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                throw ConfigError(keyPath: "teams.workflowUrl", problem: "required (an absolute URL) when teams.mode is \"workflow-webhook\"")
            }
        }
        let fallback = try tm.optionalString("fallbackMember")
        if teamsMode == "graph-chat", fallback == nil {
            throw ConfigError(keyPath: "teams.fallbackMember", problem: "required when teams.mode is \"graph-chat\"")
        }
        teams = Teams(
            mode: teamsMode,
            expertiseMapping: try stringListMap("expertiseMapping"),
            userExpertise: try stringListMap("userExpertise"),
            fallbackMember: fallback,
            delegatedRefreshToken: delegated,
            workflowUrl: workflowUrl
        )

        // admin
        let ad = try r.scoped("admin")
        try ad.rejectUnknownKeys(["token"])
        let adminToken = try ad.optionalString("token").map(Secret.init)
        if let adminToken, adminToken.value.count < 16 {
            throw ConfigError(keyPath: "admin.token", problem: "must be at least 16 characters")
        }
        admin = Admin(token: adminToken)
    }

    /// All defaults: what `mailhook serve` uses on a fresh machine.
    public static func defaults() -> MailHookConfiguration {
        // The empty document is always valid.
        try! MailHookConfiguration(root: .object([:]), environment: [:])
    }
}
