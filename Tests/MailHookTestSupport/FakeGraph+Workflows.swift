import Foundation
import MailHookCore
import Synchronization

extension FakeGraph {
    // MARK: - Teams Workflows webhooks

    /// A Teams Workflows ("When a Teams webhook request is received") URL on this server. Like the real ones
    /// it carries a signature in the query string, which the fake ignores.
    public func workflowURL(_ name: String = "teams") -> String {
        let path = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
        return "\(baseURL)/workflows/\(path)/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=fake-signature"
    }

    /// The JSON bodies of the accepted (202) workflow posts, all names, in order.
    public var workflowPosts: [JSONValue] { state.withLock { $0.workflowRequests.filter { $0.status == 202 }.compactMap(\.json) } }

    /// Every request to a workflow URL, failed ones included.
    public var workflowRequests: [FakeGraph.WorkflowPost] { state.withLock { $0.workflowRequests } }

    /// Answers the next `count` workflow posts with `status` (and records them as failed, not as actions).
    public func failNextWorkflowPosts(_ count: Int, status: Int = 500) {
        state.withLock { $0.workflowFailures = .init(remaining: max(0, count), status: status, retryAfter: nil) }
    }
}

extension FakeGraph.State {
    /// `POST /workflows/{name}[/triggers/manual/paths/invoke]`, no authentication: 202 and the body recorded.
    mutating func workflowPost(_ request: GraphRequest, _ rest: [String]) -> Reply {
        let lower = rest.map { $0.lowercased() }
        guard lower.count == 1 || lower.dropFirst() == ["triggers", "manual", "paths", "invoke"] else {
            return .error(404, "NotFound", "No such endpoint: \(request.method) \(request.path)")
        }
        guard request.method == "POST" else { return FakeGraph.methodNotAllowed(request) }
        let reply: Reply
        if var plan = workflowFailures, plan.remaining > 0 {
            plan.remaining -= 1
            workflowFailures = plan.remaining > 0 ? plan : nil
            reply = .error(plan.status, FakeGraph.errorCode(forStatus: plan.status), "Injected failure \(plan.status).")
        } else if (try? JSONValue.parse(Array(request.body.utf8))) == nil {
            reply = .error(400, "InvalidRequestContent", "The request content is not valid and could not be deserialized.")
        } else {
            reply = .empty(202)
            recordAction("workflowPost", mailbox: nil, target: rest[0], request: request, result: nil)
        }
        workflowRequests.append(FakeGraph.WorkflowPost(name: rest[0], query: request.query, body: request.body, status: reply.status, at: now))
        return reply
    }
}
