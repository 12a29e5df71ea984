import MailHookCore
import MailHookStore

/// Runs what-if routing over the store a page at a time, so memory stays bounded whatever the window.
public enum RoutingSimulator {
    static let pageSize = 1000

    public static func run(store: any AdminStore, routing: MailHookConfiguration.Routing, days: Int) async throws -> RoutingSimulation {
        let policy = RoutingPolicy(routing)
        var simulation = RoutingSimulation(days: days)
        var after: String?
        repeat {
            let page = try await store.routingSamples(days: days, after: after, limit: pageSize)
            for sample in page.samples { simulation.add(sample, policy: policy) }
            after = page.last
            try Task.checkCancellation()
        } while after != nil
        return simulation
    }

    /// The `routing` section of a request or file, validated as configuration is (errors name the key path).
    public static func routing(_ json: JSONValue) throws(ConfigError) -> MailHookConfiguration.Routing {
        let section = json["routing"] ?? json
        return try MailHookConfiguration(root: .object(["routing": section]), environment: [:]).routing
    }
}
