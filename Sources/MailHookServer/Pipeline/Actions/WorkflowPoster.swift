import AsyncHTTPClient
import Foundation
import MailHookCore
import MailHookGraph
import NIOCore
import NIOHTTP1

/// POSTs an Adaptive Card message to the Teams workflow URL (a secret: it carries a signature,
/// so it is never recorded or logged).
struct WorkflowPoster: Sendable {
    let httpClient: HTTPClient?
    let url: Secret?

    func call(_ card: JSONValue) -> @Sendable () async throws -> JSONValue {
        { [httpClient, url] in
            guard let httpClient, let url else {
                throw GraphError(kind: .authentication, code: "workflow_not_configured", message: "teams.workflowUrl is not configured")
            }
            var request = HTTPClientRequest(url: url.value)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: card.jsonText()))
            let prepared = request
            let response = try await withTimeLimit(.seconds(30)) {
                let response = try await httpClient.execute(prepared, timeout: .seconds(3600))
                _ = try await response.body.collect(upTo: 1 << 20)
                return response
            }
            guard (200..<300).contains(Int(response.status.code)) else {
                throw GraphError(kind: .http, status: Int(response.status.code), code: "workflow_refused",
                                 message: "the Teams workflow answered \(response.status.code)")
            }
            return .object(["status": .number(Double(response.status.code))])
        }
    }
}
