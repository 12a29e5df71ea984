import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookGraph
import MailHookServer
import MailHookStore
import NIOCore

struct Subscriptions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the Graph subscriptions of the configured mailboxes.",
        discussion: """
            create, renew and delete call Microsoft Graph. Graph validates the notification URL while a
            create is in flight, so `mailhook serve` must be reachable at server.publicBaseUrl.
            """,
        subcommands: [List.self, Create.self, Renew.self, Delete.self],
        defaultSubcommand: List.self)

    /// Runs `body` with a subscription manager over the configured store and Graph client.
    static func withManager(_ options: ConfigOptions, _ body: @Sendable (SubscriptionManager, any DataStore, GraphClient) async throws -> Void) async throws {
        let config = try options.loadMain()
        let integrations = IntegrationsConfiguration.empty
        guard config.graph.enabled else { throw CommandFailure("Microsoft Graph is not configured (set graph.tenantId, graph.clientId, graph.clientSecret)") }
        guard config.server.publicBaseUrl != nil else { throw CommandFailure("server.publicBaseUrl is not set: Graph needs the HTTPS URL it calls back") }
        let logger = makeLogger(level: config.server.logLevel)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .mailhookDefault)
        do {
            try await StoreFactory.withStore(config.database, logger: logger) { store in
                try await store.migrate()
                guard let graph = try GraphClient.make(configuration: config.graph, httpClient: http, logger: logger) else { return }
                let app = MailHookApplication(configuration: config, integrations: integrations, store: store, graph: graph, logger: logger)
                guard let manager = app.subscriptions else { return }
                try await body(manager, store, graph)
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show stored subscriptions and those Graph reports for this app.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await reportingFailures {
                try await Subscriptions.withManager(options) { _, store, graph in
                    let atGraph = Dictionary(uniqueKeysWithValues: try await graph.listSubscriptions().map { ($0.id, $0) })
                    let rows = try await store.subscriptionRows().filter { $0.status == .active || $0.status == .pending }
                    print("MAILBOX\tSUBSCRIPTION\tSTATUS\tEXPIRES\tAT GRAPH")
                    for row in rows {
                        let expires = row.expiration.map(GraphDate.format) ?? "-"
                        let known = row.subscriptionId.map { atGraph[$0] != nil ? "yes" : "NO" } ?? "-"
                        print("\(row.mailbox)\t\(row.subscriptionId ?? "-")\t\(row.status.rawValue)\t\(expires)\t\(known)")
                    }
                    let stray = atGraph.keys.filter { id in !rows.contains { $0.subscriptionId == id } }
                    if !stray.isEmpty { print("\(stray.count) subscription(s) at Graph not stored here: \(stray.sorted().joined(separator: ", "))") }
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe every configured mailbox (existing subscriptions are reused).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await reportingFailures {
                try await Subscriptions.withManager(options) { manager, _, _ in
                    for (mailbox, outcome) in try await manager.ensureAll().sorted(by: { $0.key < $1.key }) { print("\(mailbox)\t\(outcome.rawValue)") }
                }
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Renew every active subscription now.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await reportingFailures {
                try await Subscriptions.withManager(options) { manager, store, _ in
                    for row in try await store.subscriptionRows() where row.status == .active {
                        try await manager.renew(row)
                        print("\(row.mailbox)\t\(row.subscriptionId ?? "-")\trenewed")
                    }
                }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every subscription MailHook made.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await reportingFailures {
                try await Subscriptions.withManager(options) { manager, _, _ in
                    print("deleted \(try await manager.deleteAll()) subscription(s)")
                }
            }
        }
    }
}

extension HTTPClient.Configuration {
    /// Outbound calls: a connect timeout here, the whole exchange bounded by each caller
    /// (`withTimeLimit`); no idle read timeout, whose state machine in AsyncHTTPClient has trapped
    /// a process. Redirects are not followed (Graph does not redirect API calls).
    static var mailhookDefault: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10))
        configuration.redirectConfiguration = .disallow
        return configuration
    }

    /// For the server: enough connections per host that `pipeline.concurrency` items can each
    /// wait on the LLM (one host) while Graph calls (another host) go on. AsyncHTTPClient's
    /// default of 8 per host would cap a pipeline of 32 at 8 LLM requests.
    static func mailhookServer(pipelineConcurrency: Int) -> HTTPClient.Configuration {
        var configuration = mailhookDefault
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(16, 2 * pipelineConcurrency)
        return configuration
    }
}
