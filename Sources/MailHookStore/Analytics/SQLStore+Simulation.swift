import Foundation
import MailHookCore

extension SQLStore {
    /// The classifications made in the last `days` days as what-if routing needs them: one
    /// sample per distinct category, urgency, confidence, recorded decision and latest feedback
    /// category, with how many emails share it (closed days from the day cache). Groups with
    /// values outside the vocabularies are skipped: stored data is input too.
    public func routingSamples(days: Int) async throws -> [RoutingSimulation.Sample] {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        return try await analyticsWindow([.routing], since: since).groups(.routing).compactMap { group in
            guard let category = group.key("category").flatMap(Category.init(rawValue:)), let urgency = group.key("urgency").flatMap(Urgency.init(rawValue:)),
                  let confidence = group.key("confidence").flatMap({ Double($0) }), confidence.isFinite, group.count() > 0
            else { return nil }
            return RoutingSimulation.Sample(
                count: group.count(), category: category, urgency: urgency, confidence: confidence,
                decision: group.key("decision").flatMap(RoutingDecision.init(rawValue:)), corrected: group.key("corrected").flatMap(Category.init(rawValue:)))
        }
    }
}
