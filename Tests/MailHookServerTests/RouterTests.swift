import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import NIOCore
import Testing

/// Handlers tested through the router alone (no socket): the probes and the Graph handshake.
@Suite("Router")
struct RouterTests {
    static func withApp(_ body: @Sendable (any TestClientProtocol, SQLStore) async throws -> Void) async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        var config = MailHookConfiguration.defaults()
        config.database = try await TestDatabase.sqlite.makeDatabase()
        let (store, services) = try await StoreFactory.open(config.database, logger: logger)
        let mailhook = MailHookApplication(configuration: config, integrations: .empty, store: store, logger: logger)
        let app = try mailhook.makeApplication(storeServices: services)
        try await app.test(.router) { client in try await body(client, store) }
        try await store.close()
    }

    @Test("health, readiness and metrics answer without a listener")
    func probes() async throws {
        try await Self.withApp { client, _ in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"database":"sqlite","status":"ready"}"#)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("mailhook_inbox_depth"))
            }
        }
    }

    @Test("the validation handshake echoes the decoded token as text/plain")
    func handshake() async throws {
        try await Self.withApp { client, store in
            try await client.execute(uri: "/webhooks/graph?validationToken=a%2Bb+c", method: .post) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
                #expect(String(buffer: response.body) == "a+b c")
            }
            #expect(try await store.inboxRows(limit: 10).isEmpty)
        }
    }

    @Test("a batch for an unknown subscription is acknowledged and nothing is stored")
    func unknownSubscription() async throws {
        try await Self.withApp { client, store in
            let body = Samples.batch([Samples.graphItem(subscriptionId: "nobody", clientState: "guess", messageId: "m1")])
            try await client.execute(
                uri: "/webhooks/graph", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .accepted)
            }
            #expect(try await store.inboxRows(limit: 10).isEmpty)
        }
    }
}
