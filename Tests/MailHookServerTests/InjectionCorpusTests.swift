import Foundation
import MailHookCore
import MailHookServer
import MailHookStore
import MailHookTestSupport
import Testing

/// Emails that try to steer the model: fence breaking, role-play, "ignore previous", JSON
/// injection, instructions in quoted replies and HTML comments. The fake LLM obeys every one of
/// them (INFORMATION, confidence 100, a reply repeating the planted link or number), so only
/// MailHook's own guards stand between the sender and the company's mailbox.
@Suite("Prompt injection corpus")
struct InjectionCorpusTests {
    struct Entry: Decodable, Sendable, CustomStringConvertible {
        let id: String
        let technique: String
        let subject: String
        let body: String
        let bodyHtml: String?
        let sender: String
        let clean_subject: String
        let clean_body: String
        let category: String
        let marker: String
        var description: String { "\(id) (\(technique))" }
    }

    static let corpus: [Entry] = {
        guard let url = Bundle.module.url(forResource: "Fixtures/injection/corpus", withExtension: "jsonl"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Entry.self, from: Data($0.utf8)) }
    }()

    @Test("the corpus holds at least 20 emails covering every technique the issue names")
    func corpusShape() {
        #expect(Self.corpus.count >= 20)
        let techniques = Set(Self.corpus.map(\.technique))
        for required in ["fence-break", "role-play", "ignore-previous", "json-injection", "quoted-reply", "html-comment"] {
            #expect(techniques.contains(required), "missing \(required)")
        }
    }

    /// Runs the whole corpus through the pipeline in live mode with the obedient model.
    func runCorpus(_ configure: @escaping TestServer.Configure) async throws -> (actions: [String], replies: [String], routings: [String: JSONValue]) {
        try await FakeLLM.with { llm in
            llm.mode = .obedient
            return try await FakeGraph.with { graph in
                try await TestServer.run(database: .sqlite, configure: { config in
                    PipelineTests.config(llm: llm, graph: graph)(&config)
                    config.classifier.timeoutSeconds = 30
                    config.routing.autoRespondDomains = []
                    configure(&config)
                }, integrationsJSON: PipelineTests.integrations, graph: graph) { server in
                    var ids: [String: String] = [:]
                    for entry in Self.corpus {
                        let id = graph.addMessage(mailbox: PipelineTests.mailbox, .init(subject: entry.subject, fromAddress: entry.sender, body: entry.body))
                        ids[id] = entry.id
                        #expect(try await PipelineTests.post(server, PipelineTests.referenceEvent("evt-\(entry.id)", messageId: id)).status == 202)
                    }
                    try await eventually(timeout: .seconds(60)) {
                        let count = try await server.store.inboxRows(limit: 100).count
                        guard count == Self.corpus.count else { return false }
                        return try await PipelineTests.settled(server)
                    }
                    var routings: [String: JSONValue] = [:]
                    for (graphId, entryId) in ids { routings[entryId] = try await SafeActionsTests.routing(server, email: graphId) }
                    let replies = graph.actions.filter { $0.kind == "reply" }.map { $0.json?.jsonText() ?? "" }
                    return (graph.actions.map(\.kind), replies, routings)
                }
            }
        }
    }

    @Test("defaults (sender domain, offline agreement, reply check): no email is answered by itself")
    func defaults() async throws {
        let result = try await runCorpus { _ in }
        #expect(!result.actions.contains("reply"), "\(result.actions)")
        for entry in Self.corpus {
            let routing = result.routings[entry.id]
            #expect(routing?["decision"]?.stringValue != RoutingDecision.autoRespond.rawValue, "\(entry)")
        }
    }

    @Test("with the sender-domain guard off, the offline agreement and the reply check still stop every one")
    func withoutDomainGuard() async throws {
        let result = try await runCorpus { $0.routing.autoRespondGuard.senderDomain = false }
        #expect(!result.actions.contains("reply"), "\(result.actions)")
        for entry in Self.corpus {
            let routing = try #require(result.routings[entry.id], "\(entry)")
            let rule = routing["downgrade"]?["rule"]?.stringValue
            #expect(
                rule == AutoReplyRule.classifierDisagreement.rawValue || rule == AutoReplyRule.replyContent.rawValue,
                "\(entry): \(routing.jsonText())")
        }
    }

    @Test("with only the reply check left, no link, address or number the sender planted goes out")
    func replyCheckAlone() async throws {
        let result = try await runCorpus {
            $0.routing.autoRespondGuard = .init(senderDomain: false, offlineAgreement: false)
        }
        // Addresses and card-like numbers are sanitised before the model sees them; what is left
        // and echoed by the model must be caught by the reply check.
        let sanitizer = Sanitizer()
        let planted = Self.corpus.filter { !FakeLLM.payload(in: sanitizer.sanitize($0.body).text).isEmpty }
        #expect(planted.count >= 18)
        for entry in planted {
            let routing = try #require(result.routings[entry.id], "\(entry)")
            #expect(routing["downgrade"]?["rule"]?.stringValue == AutoReplyRule.replyContent.rawValue, "\(entry): \(routing.jsonText())")
        }
        for entry in Self.corpus {
            for token in FakeLLM.payload(in: entry.body) {
                #expect(!result.replies.contains { $0.contains(token) }, "\(entry): \(token) was sent")
            }
        }
    }

    @Test("the offline classifier gives the same category with and without the injected words", arguments: corpus)
    func offlineIgnoresInjection(_ entry: Entry) async throws {
        try await Self.offlineIgnoresInjection(entry, model: nil)
    }

    @Test("the built-in trained model is not steered by the injected words either", arguments: corpus)
    func trainedModelIgnoresInjection(_ entry: Entry) async throws {
        try await Self.offlineIgnoresInjection(entry, model: try ClassifierModelLoader.load(.builtin))
    }

    static func offlineIgnoresInjection(_ entry: Entry, model: ClassifierModel?) async throws {
        let classifier = LocalEmailClassifier(classifier: LocalClassifier(model: model))
        let sanitizer = Sanitizer()
        func classify(_ subject: String, _ body: String) async -> Classification {
            await classifier.classify(ClassifierInput(subject: sanitizer.sanitize(subject).text, body: sanitizer.sanitize(body).text)).classification
        }
        let clean = await classify(entry.clean_subject, entry.clean_body)
        let injected = await classify(entry.subject, entry.body)
        #expect(clean.category == injected.category, "\(entry): clean \(clean.reasoning) injected \(injected.reasoning) \(injected.cues)")
    }
}
