import AsyncHTTPClient
import Foundation
import MailHookCore
import MailHookLLM
import MailHookTestSupport
import Testing

/// `classifier.structuredOutput`: the classifier's answers are asked for with their JSON Schema, in
/// the form the endpoint accepts.
@Suite("LLM structured outputs")
struct LLMStructuredOutputTests {
    static func classifier(_ llm: FakeLLM, mode: StructuredOutputMode) -> LLMEmailClassifier {
        let client = ChatCompletionsClient(
            configuration: .init(baseURL: llm.baseURL, apiKey: Secret(LLMClassifierTests.key), model: LLMClassifierTests.model, structuredOutput: mode),
            httpClient: .test, logger: LLMClassifierTests.logger)
        return LLMEmailClassifier(client: client, model: LLMClassifierTests.model, logger: LLMClassifierTests.logger)
    }

    @Test("auto asks json_schema, strict, with the answer's fields and the closed vocabularies")
    func autoSendsTheSchema() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            let outcome = await Self.classifier(llm, mode: .auto).classify(LLMClassifierTests.input)
            #expect(!outcome.fellBack)
            let requests = llm.requests
            #expect(requests.map(\.kind) == [.classification, .confidence])
            #expect(requests.map(\.responseFormatType) == ["json_schema", "json_schema"])
            let format = try #require(requests.first?.body?["response_format"]?["json_schema"])
            #expect(format["name"]?.stringValue == "email_classification")
            #expect(format["strict"] == .bool(true))
            let schema = try #require(format["schema"])
            #expect(schema["additionalProperties"] == .bool(false))
            #expect(schema["properties"]?["category"]?["enum"]?.arrayValue?.compactMap(\.stringValue) == MailHookCore.Category.allCases.map(\.rawValue))
            #expect(schema["properties"]?["urgency"]?["enum"]?.arrayValue?.compactMap(\.stringValue) == Urgency.allCases.map(\.rawValue))
            let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(required == ["category", "confidence", "reasoning", "urgency", "suggested_action", "required_expertise", "estimated_effort"])
            #expect(requests.last?.body?["response_format"]?["json_schema"]?["name"]?.stringValue == "confidence_assessment")
        }
    }

    @Test("auto on an endpoint that refuses json_schema: the same call asks json_object with the schema, no attempt lost, and later calls start there")
    func autoStepsDown() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            llm.refusedFormats = ["json_schema"]
            let classifier = Self.classifier(llm, mode: .auto)
            let first = await classifier.classify(LLMClassifierTests.input)
            #expect(!first.fellBack, "\(first.failure ?? "")")
            #expect(first.classification.confidence == 87, "the confidence call answered too")
            #expect(llm.requests.map(\.responseFormatType) == ["json_schema", "json_object", "json_object"])
            #expect(llm.requests.map(\.status) == [400, 200, 200])
            #expect(llm.requests[1].body?["response_format"]?["schema"]?["properties"]?["category"] != nil, "json_object carries the schema")
            #expect(classifier.client.structuredOutputInUse == .jsonObject)

            llm.reset()
            llm.refusedFormats = ["json_schema"]
            #expect(await !classifier.classify(LLMClassifierTests.input).fellBack)
            #expect(llm.requests.map(\.responseFormatType) == ["json_object", "json_object"], "the refusal is remembered")
        }
    }

    @Test("a fixed json_schema is not changed behind the operator's back: a refusal falls back and says why")
    func fixedModeDoesNotStepDown() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            llm.refusedFormats = ["json_schema"]
            let outcome = await Self.classifier(llm, mode: .jsonSchema).classify(LLMClassifierTests.input)
            #expect(outcome.fellBack)
            #expect(outcome.failure?.contains("400") == true, "\(outcome.failure ?? "")")
            #expect(llm.requests.count == 1)
        }
    }

    @Test("none is the behaviour before structured outputs: JSON mode for the classification, no format for the confidence")
    func noneIsPlainJSONMode() async throws {
        try await FakeLLM.with(apiKey: LLMClassifierTests.key) { llm in
            #expect(await !Self.classifier(llm, mode: .none).classify(LLMClassifierTests.input).fellBack)
            #expect(llm.requests.map(\.responseFormatType) == ["json_object", nil])
            #expect(llm.requests.first?.body?["response_format"]?["schema"] == nil)
        }
    }

    @Test("classifier.structuredOutput reaches the client the server builds")
    func configurationReachesTheClient() throws {
        var settings = MailHookConfiguration.Classifier(
            provider: .openai, baseUrl: "http://127.0.0.1:9/v1", apiKey: Secret(LLMClassifierTests.key), model: "m", structuredOutput: .jsonObject)
        #expect(ClassifierFactory.chatClient(configuration: settings, httpClient: .test, logger: LLMClassifierTests.logger)?.structuredOutputInUse == .jsonObject)
        settings.structuredOutput = .auto
        #expect(ClassifierFactory.chatClient(configuration: settings, httpClient: .test, logger: LLMClassifierTests.logger)?.structuredOutputInUse == .jsonSchema)
    }
}
