import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookLLM
import MailHookTestSupport
import NIOCore
import Synchronization
import Testing

/// The LLM client and classifiers against the fake LLM, through real HTTP.
struct LLMClassifierTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let key = "sk-test-key-0123456789abcdef"
    static let model = "gpt-test"
    static let input = ClassifierInput(
        subject: "Need a new laptop",
        body: "Hi IT, please order a new laptop for our new hire who starts on Monday. The budget is approved.",
        senderDomain: "contoso.com")

    /// Records the waits between attempts instead of waiting.
    final class SleepLog: Sendable {
        private let waits = Mutex<[Duration]>([])
        func record(_ duration: Duration) { waits.withLock { $0.append(duration) } }
        var all: [Duration] { waits.withLock { $0 } }
    }

    static func client(
        baseURL: String, key: String = key, timeout: Duration = .seconds(30), sleeps: SleepLog = SleepLog()
    ) -> ChatCompletionsClient {
        ChatCompletionsClient(
            configuration: .init(baseURL: baseURL, apiKey: Secret(key), model: model, timeout: timeout),
            httpClient: .test, logger: logger, sleep: { sleeps.record($0) })
    }

    static func classifier(_ client: ChatCompletionsClient, fallback: any EmailClassifier = LocalEmailClassifier()) -> LLMEmailClassifier {
        LLMEmailClassifier(client: client, model: model, fallback: fallback, logger: logger)
    }

    static var localAnswer: Classification { LocalClassifier().classify(subject: input.subject, body: input.body) }

    // MARK: - Good answers

    @Test("good answers: category from call 1, confidence from call 2, tokens summed, model and prompt version recorded")
    func goodAnswers() async throws {
        try await FakeLLM.with(apiKey: Self.key) { llm in
            llm.mode = .good(category: .purchasing, urgency: .high, confidence: 70, assessed: 87)
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL)).classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.failure == nil)
            let c = outcome.classification
            #expect(c.category == .purchasing)
            #expect(c.urgency == .high)
            #expect(c.confidence == 87)
            #expect(c.modelUsed == Self.model)
            #expect(c.promptVersion == PromptTemplates.version)
            #expect(c.requiredExpertise == ["network"])

            let requests = llm.requests
            #expect(requests.map(\.kind) == [.classification, .confidence])
            #expect(c.tokensUsed == requests.compactMap(\.totalTokens).reduce(0, +))
            #expect(requests.allSatisfy { $0.totalTokens ?? 0 > 0 })
            #expect(requests[0].responseFormatType == "json_schema")
            #expect(requests[1].responseFormatType == "json_schema")
            #expect(requests[0].maxTokens == LLMEmailClassifier.classificationMaxTokens)
            for request in requests {
                #expect(request.path == "/v1/chat/completions")
                #expect(request.credential == .bearer && request.keyAccepted)
                #expect(request.headers["authorization"] == "<redacted>")
                #expect(request.model == Self.model)
                #expect(request.temperature == 0.1)
                #expect(!request.bodyText.contains(Self.key))
            }
            #expect(requests[0].user?.contains("Subject: Need a new laptop") == true)
            #expect(requests[0].user?.contains("Sender domain: contoso.com") == true)
            #expect(requests[1].user?.contains("category PURCHASING") == true)
            #expect(outcome.timings.classificationMs != nil && outcome.timings.confidenceMs != nil && outcome.timings.fallbackMs == nil)
        }
    }

    @Test("JSON inside ```json fences with prose around it is parsed")
    func fencedJSON() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .fencedJSON
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL)).classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.classification.category == .consultation)
            #expect(outcome.classification.urgency == .low)
            #expect(outcome.classification.confidence == 91)
        }
    }

    @Test("the email is cut to each prompt's budget")
    func budgets() async throws {
        try await FakeLLM.with { llm in
            let long = ClassifierInput(subject: "Printer", body: String(repeating: "word ", count: 300) + "MIDDLE " + String(repeating: "more ", count: 400) + "TAIL")
            _ = await Self.classifier(Self.client(baseURL: llm.baseURL)).classify(long)
            let requests = llm.requests
            #expect(requests.count == 2)
            #expect(requests[0].user?.contains("MIDDLE") == true)  // within 2000 characters
            #expect(requests[0].user?.contains("TAIL") == false)
            #expect(requests[1].user?.contains("MIDDLE") == false)  // past 1000 characters
        }
    }

    // MARK: - Fallbacks

    @Test("garbage answers fall back to the local classifier and say why; no confidence call is made")
    func garbageFallsBack() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .garbage
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL)).classify(Self.input)
            #expect(outcome.fellBack)
            #expect(outcome.classification == Self.localAnswer)
            #expect(outcome.classification.modelUsed == LocalClassifier.modelName)
            #expect(outcome.failure?.contains("unusable") == true)
            #expect(outcome.failure?.contains("no JSON object") == true)
            #expect(llm.requests.count == 1)
            #expect(outcome.timings.fallbackMs != nil)
        }
    }

    @Test("500 three times: three attempts with backoff in between, then the fallback")
    func serverErrorsRetriedThenFallBack() async throws {
        try await FakeLLM.with { llm in
            llm.enqueue([.status(500), .status(500), .status(500)])  // a fourth attempt would succeed
            let sleeps = SleepLog()
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL, sleeps: sleeps)).classify(Self.input)
            #expect(llm.requests.count == 3)
            #expect(llm.requests.allSatisfy { $0.status == 500 && $0.kind == .classification })
            #expect(sleeps.all.count == 2)
            #expect(sleeps.all.allSatisfy { $0 >= .milliseconds(250) && $0 <= .seconds(1) })
            #expect(outcome.fellBack)
            #expect(outcome.classification == Self.localAnswer)
            #expect(outcome.failure?.contains("500") == true)
            #expect(outcome.failure?.contains("after 3 attempts") == true)
        }
    }

    @Test("one 503 is retried and the LLM's answer is used")
    func transientErrorRetried() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .good(category: .information, urgency: .low)
            llm.enqueue([.status(503)])
            let sleeps = SleepLog()
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL, sleeps: sleeps)).classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.classification.category == .information)
            #expect(llm.requests.map(\.status) == [503, 200, 200])
            #expect(sleeps.all.count == 1)
        }
    }

    @Test("Retry-After is honoured, capped at 10 s")
    func retryAfter() async throws {
        try await FakeLLM.with { llm in
            llm.enqueue([.status(429, retryAfter: 2), .status(429, retryAfter: 30)])
            let sleeps = SleepLog()
            // The timeout bounds the whole call: the default 30 s leaves room for both waits.
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL, sleeps: sleeps)).classify(Self.input)
            #expect(sleeps.all == [.seconds(2), .seconds(10)])
            #expect(!outcome.fellBack)
            #expect(llm.requests.map(\.status) == [429, 429, 200, 200])
        }
    }

    @Test("an answer slower than timeoutSeconds falls back without retrying")
    func slowFallsBack() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .slow(.seconds(2))
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL, timeout: .seconds(1))).classify(Self.input)
            #expect(outcome.fellBack)
            #expect(outcome.classification == Self.localAnswer)
            #expect(outcome.failure?.contains("timeout") == true)
            // No retry after a timeout: one request, not three.
            #expect(llm.requests.count == 1)
        }
    }

    @Test("a failed confidence call keeps call 1's confidence, notes it, and does not fall back")
    func confidenceFailureKeepsClassification() async throws {
        try await FakeLLM.with { llm in
            llm.enqueue([.good(category: .support, urgency: .medium, confidence: 66), .garbage])
            let outcome = await Self.classifier(Self.client(baseURL: llm.baseURL)).classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.classification.category == .support)
            #expect(outcome.classification.confidence == 66)
            #expect(outcome.classification.modelUsed == Self.model)
            #expect(outcome.failure?.contains("confidence") == true)
            #expect(outcome.classification.tokensUsed == llm.requests.compactMap(\.totalTokens).reduce(0, +))
        }
    }

    @Test("HumanReviewFallback answers SUPPORT 50 MEDIUM, which routes to HUMAN_REVIEW, and is selectable in the factory")
    func humanReviewFallback() async throws {
        let answer = await HumanReviewFallback().classify(Self.input).classification
        #expect(answer.category == .support && answer.confidence == 50 && answer.urgency == .medium)
        #expect(answer.reasoning == "LLM unavailable; needs human review")
        #expect(RoutingPolicy(MailHookConfiguration.defaults().routing).route(answer).decision == .humanReview)

        try await FakeLLM.with { llm in
            llm.mode = .status(503)
            var configuration = MailHookConfiguration.defaults().classifier
            configuration.provider = .openai
            configuration.baseUrl = llm.baseURL
            configuration.apiKey = Secret(Self.key)
            configuration.model = Self.model
            let classifier = ClassifierFactory.make(configuration: configuration, httpClient: .test, logger: Self.logger, fallback: .humanReview)
            let outcome = await classifier.classify(Self.input)
            #expect(outcome.fellBack)
            #expect(outcome.classification == HumanReviewFallback.classification)
            #expect(outcome.failure?.contains("503") == true)
        }
    }

    // MARK: - Factory

    @Test("the factory builds the local classifier for \"local\" and the LLM one, with the configured timeout, for \"openai\"")
    func factory() async throws {
        let local = ClassifierFactory.make(configuration: MailHookConfiguration.defaults().classifier, httpClient: .test, logger: Self.logger)
        #expect(local is LocalEmailClassifier)
        #expect(await local.classify(Self.input).classification == Self.localAnswer)

        try await FakeLLM.with(apiKey: Self.key) { llm in
            var configuration = MailHookConfiguration.defaults().classifier
            configuration.provider = .openai
            configuration.baseUrl = llm.baseURL
            configuration.apiKey = Secret(Self.key)
            configuration.model = Self.model
            configuration.timeoutSeconds = 20
            let classifier = ClassifierFactory.make(configuration: configuration, httpClient: .test, logger: Self.logger)
            let llmClassifier = try #require(classifier as? LLMEmailClassifier)
            #expect(llmClassifier.client.configuration.timeout == .seconds(20))
            #expect(llmClassifier.fallback is LocalEmailClassifier)
            let outcome = await classifier.classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.classification.modelUsed == Self.model)
            #expect(ClassifierFactory.makeReplyWriter(configuration: configuration, httpClient: .test, logger: Self.logger) is LLMReplyWriter)
        }
        #expect(ClassifierFactory.makeReplyWriter(configuration: MailHookConfiguration.defaults().classifier, httpClient: .test, logger: Self.logger)
            is TemplateReplyWriter)
    }

    // MARK: - Azure

    @Test("Azure form: api-key header, api-version query, deployment in the path, no model in the body")
    func azure() async throws {
        try await FakeLLM.with(apiKey: Self.key) { llm in
            let client = Self.client(baseURL: llm.azureBaseURL(deployment: "mailhook-gpt4o"))
            #expect(client.style == .azure)
            let outcome = await Self.classifier(client).classify(Self.input)
            #expect(!outcome.fellBack)
            #expect(outcome.classification.confidence == 87)
            let requests = llm.requests
            #expect(requests.count == 2)
            for request in requests {
                #expect(request.path == "/openai/deployments/mailhook-gpt4o/chat/completions")
                #expect(request.query == "api-version=2024-06-01")
                #expect(request.credential == .apiKey && request.keyAccepted)
                #expect(request.headers["api-key"] == "<redacted>")
                #expect(request.headers["authorization"] == nil)
                #expect(request.model == nil)
            }
        }
    }

    @Test("endpoint URLs for the OpenAI and Azure forms")
    func endpoints() {
        typealias C = ChatCompletionsClient
        #expect(C.endpoint(baseURL: "https://api.openai.com/v1", model: "gpt-4o").url == "https://api.openai.com/v1/chat/completions")
        #expect(C.endpoint(baseURL: "https://api.openai.com/v1/", model: "gpt-4o").style == .openAI)
        #expect(C.endpoint(baseURL: "http://localhost:11434/v1", model: "llama3").url == "http://localhost:11434/v1/chat/completions")
        let deployment = C.endpoint(baseURL: "https://contoso.openai.azure.com/openai/deployments/gpt4o/", model: "x")
        #expect(deployment.url == "https://contoso.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01")
        #expect(deployment.style == .azure)
        #expect(C.endpoint(baseURL: "https://contoso.openai.azure.com/openai/deployments/gpt4o?api-version=2024-10-21", model: "x").url
            == "https://contoso.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21")
        #expect(C.endpoint(baseURL: "https://contoso.openai.azure.com", model: "gpt4o-prod").url
            == "https://contoso.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-06-01")
    }

    // MARK: - Secrets

    @Test("the API key never appears in errors or outcome failures, even when the provider quotes it")
    func keyNeverLeaks() async throws {
        let wrongKey = "sk-wrong-secret-abcdef123456"
        try await FakeLLM.with(apiKey: Self.key) { llm in
            let client = Self.client(baseURL: llm.baseURL, key: wrongKey)
            let outcome = await Self.classifier(client).classify(Self.input)
            #expect(outcome.fellBack)
            #expect(outcome.failure?.contains("401") == true)
            #expect(outcome.failure?.contains(wrongKey) == false)
            #expect(llm.requests.count == 1)  // 401 is not retried
            #expect(!String(describing: client.configuration).contains(wrongKey))
            do throws(ChatCompletionsError) {
                _ = try await client.complete(ChatPrompt(system: "s", user: "u"), maxTokens: 5)
                Issue.record("expected a 401")
            } catch {
                #expect(error.status == 401 && error.code == "invalid_api_key")
                #expect(!String(describing: error).contains(wrongKey))
                #expect(!String(reflecting: error).contains(wrongKey))
            }
        }
        // Nothing listens on port 1. This client keeps retrying refused connections until its short
        // connect timeout: the endpoint is unreachable, which is reported (without the key) and not retried.
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(200))
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let sleeps = SleepLog()
        let unreachable = ChatCompletionsClient(
            configuration: .init(baseURL: "http://127.0.0.1:1/v1", apiKey: Secret(wrongKey), model: Self.model, timeout: .seconds(5)),
            httpClient: http, logger: Self.logger, sleep: { sleeps.record($0) })
        do throws(ChatCompletionsError) {
            _ = try await unreachable.complete(ChatPrompt(system: "s", user: "u"), maxTokens: 5)
            Issue.record("expected a transport error")
        } catch {
            #expect(error.kind == .unreachable && error.attempts == 1)
            #expect(sleeps.all.isEmpty)
            #expect(!String(reflecting: error).contains(wrongKey))
        }
        let outcome = await Self.classifier(unreachable).classify(Self.input)
        #expect(outcome.fellBack && outcome.failure?.contains(wrongKey) == false)
        try await http.shutdown()
    }

    // MARK: - Replies

    @Test("template replies: one per category, short, polite, signed IT Department")
    func templateReplies() async {
        let writer = TemplateReplyWriter()
        var texts: Set<String> = []
        for category in MailHookCore.Category.allCases {
            var classification = Self.localAnswer
            classification.category = category
            classification.urgency = .medium
            let text = await writer.reply(to: Self.input, classification: classification)
            texts.insert(text)
            #expect(text.hasPrefix("Hello,"))
            #expect(text.hasSuffix("IT Department"))
            #expect(text.contains("Thank you"))
            #expect(text.split(whereSeparator: \.isWhitespace).count < 60)
        }
        #expect(texts.count == MailHookCore.Category.allCases.count)
        #expect(writer.text(category: .support, urgency: .critical).contains("time-sensitive"))
    }

    @Test("LLM replies use the reply prompt; failures give the template")
    func llmReplies() async throws {
        try await FakeLLM.with { llm in
            let writer = LLMReplyWriter(client: Self.client(baseURL: llm.baseURL), logger: Self.logger)
            let classification = Self.localAnswer
            let text = await writer.reply(to: Self.input, classification: classification)
            #expect(text == FakeLLM.replyText)
            let request = try #require(llm.requests.first)
            #expect(request.kind == .reply)
            #expect(request.responseFormatType == nil)
            #expect(request.user?.contains("Sign as \"IT Department\"") == true)

            llm.mode = .status(500)
            let fallback = await writer.reply(to: Self.input, classification: classification)
            #expect(fallback == TemplateReplyWriter().text(category: classification.category, urgency: classification.urgency))

            // A provider ignoring max_tokens: a reply past what a reply may be is not sent, nor
            // drafted (Graph refuses a body that large); the template is.
            llm.mode = .rambling(ReplyCheck.maximumCharacters + 1)
            #expect(await writer.reply(to: Self.input, classification: classification) == fallback)
            llm.mode = .rambling(ReplyCheck.maximumCharacters)
            let longest = await writer.reply(to: Self.input, classification: classification)
            #expect(longest != fallback && longest.count >= ReplyCheck.maximumCharacters - 1, "the longest allowed reply is the model's")
        }
    }

    // MARK: - The fake itself

    @Test("the fake counts concurrent requests")
    func fakeCountsInFlight() async throws {
        try await FakeLLM.with { llm in
            llm.mode = .slow(.milliseconds(300))
            let client = Self.client(baseURL: llm.baseURL)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try? await client.complete(ChatPrompt(system: "s", user: "u"), maxTokens: 5) } }
            }
            #expect(llm.requests.count == 4)
            #expect(llm.peakInFlight >= 2)
            #expect(llm.inFlight == 0)
        }
    }
}
