import Foundation
import MailHookCore
import MailHookGraph

/// Sends planned Graph writes (with the delegated token where the request needs it) and keeps
/// what later steps need from the answer.
struct GraphActions: Sendable {
    let graph: GraphClient?
    let delegatedTokens: (any GraphTokenSource)?

    func call(_ request: GraphActionRequest, mailbox: String?) -> @Sendable () async throws -> JSONValue {
        { [graph, delegatedTokens] in
            guard let graph else { throw GraphError(kind: .authentication, code: "graph_not_configured", message: "graph is not configured") }
            let response = try await graph.perform(request, mailbox: mailbox, delegatedTokens: delegatedTokens)
            var out: [String: JSONValue] = ["status": .number(Double(response.status))]
            if let json = response.json {
                for key in ["id", "webUrl", "chatId"] { if let value = json[key] { out[key] = value } }
            }
            return .object(out)
        }
    }
}
