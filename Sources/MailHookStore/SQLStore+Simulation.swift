import Foundation
import MailHookCore

extension SQLStore {
    /// One page of the classifications made in the last `days` days (keyset on email id), each with
    /// its recorded decision and its latest feedback category. Rows with values outside the
    /// vocabularies are skipped: stored data is input too.
    public func routingSamples(days: Int, after: String?, limit: Int) async throws -> (samples: [RoutingSimulation.Sample], last: String?) {
        let since = now().addingTimeInterval(-Double(days) * 86_400)
        let decision = dialect.jsonTextField("p.confidence_routing", "decision")
        var statement: SQLStatement = """
            SELECT c.email_id AS id, c.category AS category, c.urgency AS urgency, c.confidence AS confidence,
                (SELECT \(raw: decision) FROM processing_results p WHERE p.email_id = c.email_id ORDER BY p.started_at DESC LIMIT 1) AS decision,
                (SELECT f.correct_category FROM classification_feedback f WHERE f.email_id = c.email_id
                    ORDER BY f.created_at DESC, f.id DESC LIMIT 1) AS corrected
            FROM classification_results c WHERE c.created_at >= \(since)
            """
        if let after { statement.append(" AND c.email_id > \(after)") }
        statement.append(" ORDER BY c.email_id LIMIT \(max(1, limit))")
        let rows = try await database.read(statement)
        let samples = rows.compactMap { r -> RoutingSimulation.Sample? in
            guard let id = r.string("id"), let category = r.string("category").flatMap(Category.init(rawValue:)),
                  let urgency = r.string("urgency").flatMap(Urgency.init(rawValue:)), let confidence = r.double("confidence"), confidence.isFinite
            else { return nil }
            return RoutingSimulation.Sample(
                emailId: id, category: category, urgency: urgency, confidence: confidence,
                decision: r.string("decision").flatMap(RoutingDecision.init(rawValue:)), corrected: r.string("corrected").flatMap(Category.init(rawValue:)))
        }
        return (samples, rows.last?.string("id"))
    }
}
