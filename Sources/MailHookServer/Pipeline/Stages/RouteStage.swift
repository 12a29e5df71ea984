import MailHookCore

/// Stage 5, route: the routing policy (DESIGN §3), a pure function of the classification and
/// `routing.*`.
struct RouteStage: Sendable {
    let policy: RoutingPolicy

    func run(_ classification: Classification) -> RoutingResult {
        policy.route(classification)
    }
}
