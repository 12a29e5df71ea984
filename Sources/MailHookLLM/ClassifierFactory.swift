import AsyncHTTPClient
import Logging
import MailHookCore

/// Builds the classifier and reply writer `classifier.*` configures.
public enum ClassifierFactory {
    /// What classifies when the LLM cannot (DESIGN §4: "offline classifier or human review").
    public enum Fallback: String, Sendable, CaseIterable {
        /// ``LocalEmailClassifier``: the keyword rules decide.
        case localRules = "local"
        /// ``HumanReviewFallback``: a person decides.
        case humanReview = "human-review"

        /// `model`: the trained model the offline classifier combines with its cues.
        public func classifier(configuration: MailHookConfiguration.Classifier, model: ClassifierModel?) -> any EmailClassifier {
            switch self {
            case .localRules: ClassifierFactory.offline(configuration: configuration, model: model)
            case .humanReview: HumanReviewFallback()
            }
        }
    }

    /// The offline classifier as `classifier.*` sets it: with `model` (when given) and `criticalFromPercent`.
    /// The pipeline, `mailhook classify` and the LLM's fallback all take theirs from here, so they agree.
    public static func offline(configuration: MailHookConfiguration.Classifier, model: ClassifierModel?) -> LocalEmailClassifier {
        LocalEmailClassifier(classifier: LocalClassifier(model: model, criticalLikelihood: configuration.criticalLikelihood))
    }

    /// `"local"` → ``LocalEmailClassifier`` (with `model` when given); `"openai"` → ``LLMEmailClassifier`` over `fallback`.
    /// An LLM provider without a base URL or model (which configuration validation already
    /// rejects) degrades to the local classifier rather than failing.
    public static func make(
        configuration: MailHookConfiguration.Classifier, httpClient: HTTPClient, logger: Logger, fallback: Fallback = .localRules,
        breaker: CircuitBreaker? = nil, model: ClassifierModel? = nil
    ) -> any EmailClassifier {
        guard let client = chatClient(configuration: configuration, httpClient: httpClient, logger: logger, breaker: breaker) else {
            return offline(configuration: configuration, model: model)
        }
        return LLMEmailClassifier(
            client: client, model: client.configuration.model, fallback: fallback.classifier(configuration: configuration, model: model), logger: logger)
    }

    /// ``LLMReplyWriter`` when an LLM is configured, else ``TemplateReplyWriter``.
    public static func makeReplyWriter(
        configuration: MailHookConfiguration.Classifier, httpClient: HTTPClient, logger: Logger, signature: String = "IT Department",
        breaker: CircuitBreaker? = nil
    ) -> any ReplyWriter {
        guard let client = chatClient(configuration: configuration, httpClient: httpClient, logger: logger, breaker: breaker) else {
            return TemplateReplyWriter(signature: signature)
        }
        return LLMReplyWriter(client: client, fallback: TemplateReplyWriter(signature: signature), signature: signature, logger: logger)
    }

    /// The chat-completions client for an `"openai"` provider, nil otherwise. Clients of one endpoint
    /// should share `breaker` (a new one otherwise).
    public static func chatClient(
        configuration: MailHookConfiguration.Classifier, httpClient: HTTPClient, logger: Logger, breaker: CircuitBreaker? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) -> ChatCompletionsClient? {
        guard configuration.provider == .openai else { return nil }
        guard let baseURL = configuration.baseUrl, !baseURL.isEmpty, let model = configuration.model, !model.isEmpty else {
            logger.warning("classifier.provider is openai but baseUrl or model is missing; classifying offline")
            return nil
        }
        let settings = ChatCompletionsClient.Configuration(
            baseURL: baseURL, apiKey: configuration.apiKey, model: model, timeout: .seconds(max(1, configuration.timeoutSeconds)),
            breaker: breaker ?? ChatCompletionsClient.defaultBreaker(), structuredOutput: configuration.structuredOutput)
        return ChatCompletionsClient(configuration: settings, httpClient: httpClient, logger: logger, sleep: sleep)
    }
}
