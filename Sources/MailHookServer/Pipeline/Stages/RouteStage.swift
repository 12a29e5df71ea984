import Foundation
import MailHookCore
import MailHookStore

/// Stage 5, route: the routing policy (DESIGN §3), a pure function of the classification and
/// `routing.*`; then, for AUTO_RESPOND, the checks that must all pass before MailHook answers by
/// itself. Any failed check makes it SUGGEST_RESPONSE, with the rule recorded.
struct RouteStage: Sendable {
    let policy: RoutingPolicy
    let autoReply: AutoReplyGuard
    let store: any PipelineStore
    /// `actions.replyWindowHours`; 0 turns the per-sender window off.
    let replyWindowHours: Int
    let now: @Sendable () -> Date

    func run(email: EmailMessage, classification: Classification, offline: Classification?) async throws -> RoutingResult {
        let routing = policy.route(classification)
        guard routing.decision == .autoRespond else { return routing }
        if let downgrade = autoReply.messageRule(email) ?? autoReply.senderRule(email)
            ?? autoReply.agreementRule(llm: classification, offline: offline) {
            return routing.downgraded(downgrade)
        }
        if replyWindowHours > 0 {
            let since = now().addingTimeInterval(-Double(replyWindowHours) * 3600)
            if try await store.autoReplySent(to: email.from.address, since: since, excluding: email.id) {
                return routing.downgraded(Downgrade(.replyWindow, "this sender got an automatic reply in the last \(replyWindowHours) hours"))
            }
        }
        return routing
    }
}
