import Foundation

/// The resolved `Config/mailhook.json`: parsed once at startup into immutable values.
/// Encoding it gives the `check-config` view, with every secret shown as `***`. Each section
/// reads and validates its own keys (`Sections/`); checks that span sections live here.
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

    public static let sections: Set<String> = ["server", "database", "graph", "pipeline", "classifier", "routing", "actions", "teams", "admin"]

    /// Reads the configuration; `root` may be `.object([:])` for all defaults.
    public init(root: JSONValue, environment: [String: String]) throws(ConfigError) {
        let r = ConfigReader(root: root, environment: environment)
        guard root.objectValue != nil else { throw ConfigError(keyPath: "", problem: "the configuration must be a JSON object") }
        try r.rejectUnknownKeys(Self.sections)
        server = try Server(reader: try r.scoped("server"))
        database = try Database(reader: try r.scoped("database"))
        graph = try Graph(reader: try r.scoped("graph"))
        pipeline = try Pipeline(reader: try r.scoped("pipeline"))
        classifier = try Classifier(reader: try r.scoped("classifier"))
        routing = try Routing(reader: try r.scoped("routing"))
        actions = try Actions(reader: try r.scoped("actions"))
        teams = try Teams(reader: try r.scoped("teams"))
        admin = try Admin(reader: try r.scoped("admin"))
        try validate()
    }

    /// Rules that involve more than one section.
    public func validate() throws(ConfigError) {
        if graph.enabled, !graph.mailboxes.isEmpty, server.publicBaseUrl == nil {
            throw ConfigError(keyPath: "server.publicBaseUrl", problem: "required when graph.mailboxes are configured (Graph calls this HTTPS URL back)")
        }
    }

    /// All defaults: what `mailhook serve` uses on a fresh machine.
    public static func defaults() -> MailHookConfiguration {
        do {
            return try MailHookConfiguration(root: .object([:]), environment: [:])
        } catch {
            // The empty document is valid by construction; a failure here is a programming error.
            preconditionFailure("the default configuration is invalid: \(error)")
        }
    }
}
