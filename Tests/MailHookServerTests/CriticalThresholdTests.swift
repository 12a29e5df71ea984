import Foundation
import Logging
import MailHookCore
import MailHookLLM
@testable import MailHookServer
import MailHookTestSupport
import Testing

/// `classifier.criticalFromPercent` reaches every offline classifier MailHook builds: the pipeline's,
/// the LLM's fallback and `mailhook classify`'s, so they keep giving the same answer.
@Suite("classifier.criticalFromPercent")
struct CriticalThresholdTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let input = ClassifierInput(subject: "VPN", body: "The VPN drops every few minutes.", senderDomain: "contoso.com")

    /// A model whose heads read nothing: CRITICAL is 20 % likely, HIGH 50 %, for every email.
    static let model = ClassifierModel(
        name: "fixed-urgency", trainedOn: .init(fixtures: 0, feedback: 0, minimumDocuments: 1, regularization: 0, epochs: 0),
        category: LinearHead(labels: MailHookCore.Category.allCases.map(\.rawValue), bias: [0, 3, 0, 0, 0], weights: [:]),
        urgency: LinearHead(labels: Urgency.allCases.map(\.rawValue), bias: [0.1, 0.2, 0.5, 0.2].map { log($0) }, weights: [:]))

    static func configuration(percent: Int?) -> MailHookConfiguration.Classifier {
        var configuration = MailHookConfiguration.defaults().classifier
        if let percent { configuration.criticalFromPercent = percent }
        return configuration
    }

    @Test("the offline classifier, the factory's and the LLM's fallback all take the configured threshold")
    func everyOfflineClassifierTakesIt() async throws {
        for (percent, expected) in [(nil, Urgency.critical), (20, .critical), (25, .high)] {
            let configuration = Self.configuration(percent: percent)
            let offline = ClassifierFactory.offline(configuration: configuration, model: Self.model)
            #expect(await offline.classify(Self.input).classification.urgency == expected, "offline at \(percent ?? 15) %")
            let made = ClassifierFactory.make(configuration: configuration, httpClient: .test, logger: Self.logger, model: Self.model)
            #expect(await made.classify(Self.input).classification.urgency == expected, "factory at \(percent ?? 15) %")
        }
        try await FakeLLM.with { llm in
            llm.mode = .status(503)
            var configuration = Self.configuration(percent: 25)
            configuration.provider = .openai
            configuration.baseUrl = llm.baseURL
            configuration.apiKey = Secret("sk-test-key-0123456789abcdef")
            configuration.model = "gpt-test"
            let classifier = ClassifierFactory.make(configuration: configuration, httpClient: .test, logger: Self.logger, model: Self.model)
            let outcome = await classifier.classify(Self.input)
            #expect(outcome.fellBack)
            #expect(outcome.classification.urgency == .high, "the fallback read the threshold too")
        }
    }

    @Test("the pipeline's classifier and its offline second opinion take the configured threshold")
    func pipelineTakesIt() async throws {
        try await PipelineStoreTests.withStore(.sqlite) { store in
            for (percent, expected) in [(nil, Urgency.critical), (25, .high)] {
                var configuration = MailHookConfiguration.defaults()
                configuration.classifier = Self.configuration(percent: percent)
                let processor = MailHookApplication.pipeline(
                    configuration: configuration, monitoredMailboxes: [], store: store, graph: nil, httpClient: nil, llmHTTPClient: nil,
                    llmBreaker: nil, classifier: nil, classifierModel: Self.model, replyWriter: nil, delegatedTokens: nil, metrics: ServerMetrics(),
                    logger: Self.logger, now: { Date() })
                #expect(await processor.classify.classifier.classify(Self.input).classification.urgency == expected)
                #expect(await processor.classify.offline.classify(Self.input).classification.urgency == expected)
            }
        }
    }

    @Test("mailhook classify reads classifier.criticalFromPercent, and check-config refuses one out of range")
    func classifyCommand() async throws {
        let database = MailHookConfiguration.Database(url: .sqlite(path: "data/critical.sqlite"))
        let directory = ProcessTests.workspace(database: database)
        let modelFile = directory.appendingPathComponent("fixed.json")
        try Self.model.encoded().write(to: modelFile)
        let email = directory.appendingPathComponent("email.json")
        try Data(#"{"message": {"from": {"address": "ann@contoso.com"}, "subject": "VPN", "bodyText": "The VPN drops every few minutes."}}"#.utf8)
            .write(to: email)
        func classify(_ percent: String?) async throws -> (status: Int32, urgency: String?, err: String) {
            let threshold = percent.map { #", "criticalFromPercent": \#($0)"# } ?? ""
            let config = #"{"database": {"url": "\#(database.configURL)"}, "classifier": {"modelFile": "\#(modelFile.path)"\#(threshold)}}"#
            try Data(config.utf8).write(to: directory.appendingPathComponent("Config/mailhook.json"))
            let (status, out, err) = try await MailHookProcess.run(["classify", "--file", email.path], directory: directory)
            let urgency = status == 0 ? try JSONValue.parse(Array(out.utf8))["classification"]?["urgency"]?.stringValue : nil
            return (status, urgency, err)
        }
        #expect(try await classify(nil).urgency == "CRITICAL")
        #expect(try await classify("25").urgency == "HIGH")
        let refused = try await classify("0")
        #expect(refused.status == 1 && refused.err.contains("classifier.criticalFromPercent"), "\(refused.err)")
    }
}
