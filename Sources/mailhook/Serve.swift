import Foundation
import ArgumentParser
import AsyncHTTPClient
import Hummingbird
import Logging
import MailHookCore
import MailHookGraph
import MailHookLLM
import MailHookServer
import MailHookStore
import ServiceLifecycle
import UnixSignals

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the webhook server (applies migrations first).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingFailures {
            let (config, integrations) = try options.load()
            // Certificate problems are configuration errors: report them before touching the database.
            if let tls = config.server.tls { _ = try MailHookApplication.tlsConfiguration(tls) }
            let classifierModel = try options.classifierModel(config)
            let logger = makeLogger(level: config.server.logLevel)
            let (store, storeServices) = try await StoreFactory.open(config.database, logger: logger)
            // Outbound calls (Graph, the LLM, Teams workflows) share one client, shut down after the services stop.
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .mailhookServer(pipelineConcurrency: config.pipeline.concurrency))
            // The LLM gets a client of its own that fails at once when no connection can be made.
            let llmHTTP = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .llmEndpoint(connectionsPerHost: 2 * config.pipeline.concurrency))
            let graph = try GraphClient.make(configuration: config.graph, httpClient: http, logger: logger)
            let mailhook = MailHookApplication(
                configuration: config, integrations: integrations, store: store, graph: graph, httpClient: http, llmHTTPClient: llmHTTP,
                classifierModel: classifierModel, logger: logger)
            let app = try mailhook.makeApplication(storeServices: storeServices) { channel in
                logger.notice("mailhook listening", metadata: [
                    "mailhook.address": "\(channel.localAddress?.description ?? "?")",
                    "mailhook.port": "\(channel.localAddress?.port ?? 0)",
                    "mailhook.tls": "\(config.server.tls != nil)",
                ])
            }
            logger.notice("starting", metadata: [
                "mailhook.database": "\(config.database.url.redacted)",
                "mailhook.graph": "\(config.graph.enabled ? "enabled" : "disabled (graph.tenantId not set)")",
                "mailhook.endpoints": "\(integrations.enabledEndpoints.map { "\($0.name)=\($0.url)" }.joined(separator: ","))",
                "mailhook.classifier": "\(config.classifier.provider.rawValue)",
                "mailhook.classifier_model": "\(classifierModel?.name ?? "none")",
                "mailhook.actions": "\(config.actions.mode.rawValue)",
            ])
            var groupConfiguration = ServiceGroupConfiguration(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
            // A service that ignores cancellation too must not keep the process alive forever: leases
            // and fencing make an abrupt end safe, a shutdown that never ends is not.
            groupConfiguration.maximumCancellationDuration = .seconds(10)
            do {
                try await ServiceGroup(configuration: groupConfiguration).run()
            } catch {
                try? await http.shutdown()
                try? await llmHTTP.shutdown()
                try? await store.close()
                throw error
            }
            try await http.shutdown()
            try await llmHTTP.shutdown()
            try await store.close()
            logger.notice("stopped")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingFailures {
            let config = try options.loadMain()
            let logger = makeLogger(level: config.server.logLevel)
            let applied = try await StoreFactory.withStore(config.database, logger: logger) { store in try await store.migrate() }
            print(applied.isEmpty ? "database is up to date (\(config.database.url.redacted))" : "applied: \(applied.joined(separator: ", "))")
        }
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the configuration and print it resolved, with secrets shown as ***.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await reportingFailures {
            let (config, integrations) = try options.load()
            _ = try options.classifierModel(config)
            _ = try GraphClient.credential(config.graph)
            struct Resolved: Encodable {
                let mailhook: MailHookConfiguration
                let integrations: IntegrationsConfiguration
            }
            print(JSONWriter.prettyText(Resolved(mailhook: config, integrations: integrations)))
        }
    }
}
