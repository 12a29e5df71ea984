import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import MailHookCore
import MailHookGraph
import MailHookLLM
import MailHookStore
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Builds the HTTP application from resolved configuration and a store. Everything it needs is
/// passed in, so tests build the same server with a temporary database in a few lines.
public struct MailHookApplication: Sendable {
    public let configuration: MailHookConfiguration
    public let integrations: IntegrationsConfiguration
    public let store: any DataStore
    public let writer: InboxWriter
    public let metrics: ServerMetrics
    public let directory: SubscriptionDirectory
    public let logger: Logger
    let now: @Sendable () -> Date

    /// Graph parts, present when `graph` is configured.
    public let graph: GraphClient?
    /// The LLM endpoint's circuit breaker, shared by the classifier and the reply writer (nil without an LLM).
    public let llmBreaker: CircuitBreaker?
    public let subscriptions: SubscriptionManager?
    public let graphSync: GraphSyncService?
    /// Works through stored inbox rows: the classification-routing pipeline and lifecycle notifications.
    public let dispatcher: InboxDispatcher
    /// Counts the completions' subject patterns into `email_patterns`, off the completion path.
    public let patternFolder: PatternFolder
    /// Opens when the listener accepts connections.
    public let ready = ReadySignal()
    /// Opens when migrations have run: services that touch the store wait for it.
    public let storeReady = ReadySignal()
    /// Open connections and the header deadline, shared by every connection.
    public let connectionLimits: ConnectionLimits

    public init(
        configuration: MailHookConfiguration, integrations: IntegrationsConfiguration, store: any DataStore,
        metrics: ServerMetrics = ServerMetrics(), graph: GraphClient? = nil, httpClient: HTTPClient? = nil, llmHTTPClient: HTTPClient? = nil,
        classifier: (any EmailClassifier)? = nil, classifierModel: ClassifierModel? = nil, replyWriter: (any ReplyWriter)? = nil,
        delegatedTokens: (any GraphTokenSource)? = nil, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.integrations = integrations
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.now = now
        self.connectionLimits = ConnectionLimits(
            maxConnections: configuration.server.maxConnections, headerTimeout: .seconds(configuration.server.headerTimeoutSeconds))
        let directory = SubscriptionDirectory(
            store: store, staticClientState: configuration.graph.clientState, external: configuration.graph.externalSubscriptions)
        self.directory = directory
        self.graph = graph
        let llmBreaker = configuration.classifier.provider == .openai ? ChatCompletionsClient.defaultBreaker() : nil
        self.llmBreaker = llmBreaker
        var processors: [any InboxProcessor] = []
        if let graph, let publicBaseUrl = configuration.server.publicBaseUrl {
            let delta = DeltaSyncer(graph: graph, store: store, folder: configuration.graph.folder, logger: logger)
            let manager = SubscriptionManager(
                graph: graph, store: store, directory: directory, delta: delta, settings: configuration.graph, publicBaseUrl: publicBaseUrl,
                metrics: GraphMetrics(registry: metrics.registry), logger: logger, now: now)
            subscriptions = manager
            graphSync = GraphSyncService(manager: manager, store: store, settings: configuration.graph, ready: ready, logger: logger)
            processors.append(LifecycleProcessor(manager: manager))
        } else {
            // Without a public URL there are no subscriptions, but by-reference events still need fetching.
            subscriptions = nil
            graphSync = nil
        }
        processors.append(Self.pipeline(
            configuration: configuration, monitoredMailboxes: Self.monitoredMailboxes(configuration, integrations), store: store, graph: graph,
            httpClient: httpClient, llmHTTPClient: llmHTTPClient ?? httpClient, llmBreaker: llmBreaker, classifier: classifier, classifierModel: classifierModel, replyWriter: replyWriter, delegatedTokens: delegatedTokens, metrics: metrics,
            logger: logger, now: now))
        let dispatcher = InboxDispatcher(
            store: store, processors: processors, concurrency: configuration.pipeline.concurrency,
            maxAttempts: configuration.pipeline.maxAttempts, leaseSeconds: configuration.pipeline.leaseSeconds, startAfter: storeReady, logger: logger)
        self.dispatcher = dispatcher
        self.patternFolder = PatternFolder(store: store, startAfter: storeReady, logger: logger)
        // SQLite has one writer; PostgreSQL one group commit per intake connection. The writer,
        // which knows when rows are durable, wakes the dispatcher.
        self.writer = InboxWriter(store: store, flushers: store.intakeWriters, logger: logger, committed: { dispatcher.wake(for: $0) })
    }

    /// The classification-routing pipeline with the configured classifier, reply writer and
    /// escalation strategy. Without an HTTP client the offline classifier and templates run.
    /// The addresses of every mailbox MailHook watches (for the automatic-reply checks).
    static func monitoredMailboxes(_ configuration: MailHookConfiguration, _ integrations: IntegrationsConfiguration) -> Set<String> {
        let all = configuration.graph.mailboxes + configuration.graph.externalSubscriptions.map(\.mailbox)
            + integrations.enabledEndpoints.flatMap(\.mailboxes)
        return Set(all.map { $0.lowercased() }.filter { $0.contains("@") })
    }

    static func pipeline(
        configuration: MailHookConfiguration, monitoredMailboxes: Set<String>, store: any DataStore, graph: GraphClient?, httpClient: HTTPClient?,
        llmHTTPClient: HTTPClient?, llmBreaker: CircuitBreaker?, classifier: (any EmailClassifier)?, classifierModel: ClassifierModel?, replyWriter: (any ReplyWriter)?,
        delegatedTokens: (any GraphTokenSource)?, metrics: ServerMetrics,
        logger: Logger, now: @escaping @Sendable () -> Date
    ) -> PipelineProcessor {
        let offline = ClassifierFactory.offline(configuration: configuration.classifier, model: classifierModel)
        let chosenClassifier = classifier ?? llmHTTPClient.map {
            ClassifierFactory.make(configuration: configuration.classifier, httpClient: $0, logger: logger, breaker: llmBreaker, model: classifierModel)
        } ?? offline
        let signature = configuration.actions.replySignature
        let chosenWriter = replyWriter ?? llmHTTPClient.map {
            ClassifierFactory.makeReplyWriter(
                configuration: configuration.classifier, httpClient: $0, logger: logger, signature: signature, breaker: llmBreaker)
        } ?? TemplateReplyWriter(signature: signature)
        let routing = configuration.routing
        let domains = routing.autoRespondDomains.isEmpty
            ? Set(monitoredMailboxes.compactMap { EmailFilter.domain(of: $0) }) : Set(routing.autoRespondDomains)
        let autoReply = AutoReplyGuard(
            monitoredMailboxes: monitoredMailboxes, allowedDomains: domains, requireAllowedDomain: routing.autoRespondGuard.senderDomain,
            requireOfflineAgreement: routing.autoRespondGuard.offlineAgreement)
        let delegated = delegatedTokens ?? configuration.teams.delegatedRefreshToken.flatMap { token in
            graph?.delegatedTokens(refreshToken: token, keeper: DelegatedTokenKeeper.make(store: store, configured: token, logger: logger))
        }
        let executor = ActionExecutor(
            store: store, mode: configuration.actions.mode, metrics: metrics, logger: logger,
            unknownOutcomeWait: TimeInterval(configuration.actions.unknownOutcomeWaitSeconds), now: now)
        let graphActions = GraphActions(graph: graph, delegatedTokens: delegated)
        let escalation = configuration.teams.strategy(
            executor: executor, graph: graphActions, workflow: WorkflowPoster(httpClient: httpClient, url: configuration.teams.workflowUrl),
            store: store, graphBaseURL: configuration.graph.baseUrl)
        return PipelineProcessor(
            store: store, resolve: ResolveStage(graph: graph), filter: FilterStage(subscriptions: store, filters: configuration.graph.filters),
            classify: ClassifyStage(store: store, classifier: chosenClassifier, offline: offline),
            route: RouteStage(
                policy: RoutingPolicy(routing), autoReply: autoReply, store: store, replyWindowHours: configuration.actions.replyWindowHours, now: now),
            act: ActStage(executor: executor, graph: graphActions, replyWriter: chosenWriter, escalation: escalation,
                          planner: EscalationPlanner(configuration.teams), replyCheck: ReplyCheck(signature: signature)),
            record: RecordStage(store: store), metrics: metrics, logger: logger, now: now)
    }

    public func makeRouter() -> Router<MailHookRequestContext> {
        let router = Router(context: MailHookRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: CutOffMiddleware())
        let bodyReader = BodyReader(
            maxBytes: configuration.server.maxBodyBytes, timeout: .seconds(configuration.server.requestTimeoutSeconds))

        router.get("/health") { _, _ in JSONResponse.response(.ok, Answer(status: .ok)) }
        let readiness = ReadinessProbe(
            store: store, graph: graph,
            llm: llmBreaker.map { .init(endpoint: ReadinessProbe.origin(of: configuration.classifier.baseUrl ?? ""), breaker: $0) },
            adminToken: configuration.admin.token, metrics: metrics)
        router.get("/ready") { request, context in await readiness.respond(request, logger: context.logger) }
        let depthSampler = InboxDepthSampler(store: store)
        let metricsRoutes = configuration.admin.protectMetrics
            ? router.group().add(middleware: AdminAuthMiddleware(token: configuration.admin.token)) : router.group()
        metricsRoutes.get("/metrics") { [metrics] _, _ in
            if let depth = await depthSampler.depth() { metrics.setInboxDepth(depth) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.emit())))
        }
        if let contract = OpenAPIContract.bytes {
            router.get("/openapi.yaml") { _, _ in
                Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: contract)))
            }
        }

        let graphController = GraphWebhookController(
            writer: writer, directory: directory, bodyReader: bodyReader, metrics: metrics,
            tenantId: configuration.graph.tenantId, maxBatchItems: configuration.server.maxBatchItems)
        router.post("/webhooks/graph") { request, context in try await graphController.handle(request, context: context, lifecycleURL: false) }
        router.post("/webhooks/graph/lifecycle") { request, context in try await graphController.handle(request, context: context, lifecycleURL: true) }

        for endpoint in integrations.enabledEndpoints {
            let controller = IntegrationWebhookController(
                endpoint: endpoint, writer: writer, bodyReader: bodyReader, metrics: metrics, now: now,
                referenceMailboxes: Set((endpoint.mailboxes.isEmpty ? configuration.graph.mailboxes : endpoint.mailboxes).map { $0.lowercased() }))
            router.post(RouterPath(endpoint.url)) { request, context in try await controller.handle(request, context: context) }
        }
        if let token = configuration.admin.token {
            AdminController(
                store: store, bodyReader: bodyReader, metrics: metrics,
                redactor: SecretRedactor(configuration: configuration, integrations: integrations)
            ).register(on: router, token: token)
            DashboardPage()?.register(on: router)
        }
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes.map { ($0.path.description, $0.method) }))
        return router
    }

    /// The services that must run next to the HTTP server, in start order (they stop in reverse,
    /// after the server).
    public func services(storeServices: [any Service]) -> [any Service] {
        var services = storeServices + [writer as any Service]
        services.append(dispatcher)
        services.append(patternFolder)
        if let graphSync { services.append(graphSync) }
        return services
    }

    /// The complete application: store services, group-commit writer, migrations before the
    /// listener binds, and the HTTP (or HTTPS) server.
    public func makeApplication(storeServices: [any Service], onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) throws
        -> some ApplicationProtocol
    {
        let server = configuration.server
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: server.maxHeaderBytes, maxHeaderListSize: server.maxHeaderBytes, maxHeaderFieldCount: server.maxHeaderCount)
        let http1 = HTTPServerBuilder.guardedHTTP1(
            configuration: .init(idleTimeout: .seconds(Int64(server.idleTimeoutSeconds)), httpDecoderConfiguration: decoder),
            limits: connectionLimits)
        let builder: HTTPServerBuilder
        if let tls = server.tls {
            builder = try .tls(http1, tlsConfiguration: try Self.tlsConfiguration(tls))
        } else {
            builder = http1
        }
        var app = Application(
            router: makeRouter(),
            server: builder,
            configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port), serverName: "mailhook"),
            services: services(storeServices: storeServices),
            onServerRunning: { [ready] channel in
                ready.open()
                await onServerRunning(channel)
            },
            logger: logger)
        app.beforeServerStarts { [store, logger, storeReady] in
            let applied = try await store.migrate()
            if !applied.isEmpty { logger.info("applied migrations", metadata: ["mailhook.migrations": "\(applied.joined(separator: ","))"]) }
            storeReady.open()
        }
        return app
    }

    /// Loads the PEM certificate chain and key named by `server.tls`.
    public static func tlsConfiguration(_ tls: MailHookConfiguration.TLS) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateFile)
        } catch {
            throw ConfigError(keyPath: "server.tls.certificateFile", problem: "cannot load a PEM certificate from \"\(tls.certificateFile)\"")
        }
        guard !chain.isEmpty else {
            throw ConfigError(keyPath: "server.tls.certificateFile", problem: "no certificate in \"\(tls.certificateFile)\"")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw ConfigError(keyPath: "server.tls.privateKeyFile", problem: "cannot load a PEM private key from \"\(tls.privateKeyFile)\"")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}
