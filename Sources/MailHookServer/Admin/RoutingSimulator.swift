import MailHookCore
import MailHookStore

/// Runs what-if routing over the store's routing groups: memory follows the number of distinct
/// (category, urgency, confidence, decision, feedback) groups, not the number of emails.
public enum RoutingSimulator {
    public static func run(store: any AdminStore, routing: MailHookConfiguration.Routing, days: Int) async throws -> RoutingSimulation {
        let policy = RoutingPolicy(routing)
        var simulation = RoutingSimulation(days: days)
        for sample in try await store.routingSamples(days: days) { simulation.add(sample, policy: policy) }
        return simulation
    }

    /// The `routing` section of a request or file, validated as configuration is (errors name the key path).
    public static func routing(_ json: JSONValue) throws(ConfigError) -> MailHookConfiguration.Routing {
        let section = json["routing"] ?? json
        return try MailHookConfiguration(root: .object(["routing": section]), environment: [:]).routing
    }
}
