import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MailHookCore
@testable import MailHookTestSupport
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Testing

/// Requests to the fake Graph, and a subscriber endpoint of its own for the validation handshake.
extension FakeGraphTests {
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: String
        var json: JSONValue? { try? JSONValue.parse(Array(body.utf8)) }
        var errorCode: String? { json?["error"]?["code"]?.stringValue }
    }

    static func send(
        _ method: HTTPMethod, _ url: String, token: String? = nil, headers: [(String, String)] = [], body: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            if !request.headers.contains(name: "Content-Type") { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.test.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    static func requestToken(
        _ graph: FakeGraph, secret: String? = nil, scope: String = "https://graph.microsoft.com/.default"
    ) async throws -> Answer {
        let form = "client_id=\(graph.clientId)&client_secret=\(secret ?? graph.clientSecret)&grant_type=client_credentials&scope="
            + (scope.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? scope)
        return try await send(
            .POST, "\(graph.authorityHost)/\(graph.tenantId)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
    }

    static func accessToken(_ graph: FakeGraph) async throws -> String {
        try #require(try await requestToken(graph).json?["access_token"]?.stringValue)
    }

    /// The refresh-token grant, as the product redeems the service account's refresh token.
    static func refresh(
        _ graph: FakeGraph, refreshToken: String? = nil, secret: String? = nil,
        scope: String = "https://graph.microsoft.com/.default offline_access"
    ) async throws -> Answer {
        let form = [
            ("client_id", graph.clientId), ("client_secret", secret ?? graph.clientSecret), ("grant_type", "refresh_token"),
            ("refresh_token", refreshToken ?? graph.delegatedRefreshToken), ("scope", scope),
        ].map { "\($0.0)=\(encodeQuery($0.1))" }.joined(separator: "&")
        return try await send(
            .POST, "\(graph.authorityHost)/\(graph.tenantId)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
    }

    static func delegatedToken(_ graph: FakeGraph) async throws -> String {
        try #require(try await refresh(graph).json?["access_token"]?.stringValue)
    }

    static func encodeQuery(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    static func chatBody(topic: String, members: [String]) -> String {
        JSONValue.object([
            "chatType": .string("group"),
            "topic": .string(topic),
            "members": .array(members.map { member in
                .object([
                    "@odata.type": .string("#microsoft.graph.aadUserConversationMember"),
                    "roles": .array([.string("owner")]),
                    "user@odata.bind": .string("https://graph.microsoft.com/v1.0/users('\(member)')"),
                ])
            }),
        ]).jsonText()
    }

    static func subscriptionBody(
        resource: String, notificationUrl: String, lifecycleUrl: String? = nil, minutes: Double, changeType: String = "created"
    ) -> String {
        var object: [String: JSONValue] = [
            "changeType": .string(changeType),
            "notificationUrl": .string(notificationUrl),
            "resource": .string(resource),
            "expirationDateTime": .string(Date().addingTimeInterval(minutes * 60).ISO8601Format()),
            "clientState": .string("state-of-alice"),
        ]
        if let lifecycleUrl { object["lifecycleNotificationUrl"] = .string(lifecycleUrl) }
        return JSONValue.object(object).jsonText()
    }

    /// A notification endpoint: answers validation (correctly, with the still-encoded token, or too late)
    /// and keeps the bodies of the notifications it gets.
    final class Receiver: Sendable {
        enum Answer: Sendable { case correct, encoded, slow }
        let answer: Answer
        private let tokens = Mutex<[String]>([])
        private let notifications = Mutex<[String]>([])

        init(answer: Answer) { self.answer = answer }

        var validationTokens: [String] { tokens.withLock { $0 } }
        var notificationBodies: [String] { notifications.withLock { $0 } }

        func handle(_ request: Request) async throws -> Response {
            let query = request.uri.query ?? ""
            if let pair = query.split(separator: "&").first(where: { $0.hasPrefix("validationToken=") }) {
                let encoded = String(pair.dropFirst("validationToken=".count))
                let token = encoded.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                tokens.withLock { $0.append(token) }
                if answer == .slow { try await Task.sleep(for: .milliseconds(600)) }
                return Response(
                    status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: answer == .encoded ? encoded : token)))
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            notifications.withLock { $0.append(String(buffer: body)) }
            return Response(status: .accepted)
        }
    }

    static func withReceiver<T>(
        answer: Receiver.Answer,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (String, Receiver) async throws -> T
    ) async throws -> T {
        let receiver = Receiver(answer: answer)
        let router = Router()
        router.post("/notify") { request, _ in try await receiver.handle(request) }
        router.post("/lifecycle") { request, _ in try await receiver.handle(request) }
        let logger = Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(services: [app], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: T.self, isolation: isolation) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw FakeGraphError("the receiver did not start") }
            do {
                let value = try await body("http://127.0.0.1:\(port)", receiver)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
