import Foundation

extension MailHookConfiguration {
    /// `classifier.*`: the offline classifier, or an OpenAI-compatible endpoint.
    public struct Classifier: Sendable, Encodable {
        public var provider: ClassifierProvider
        public var baseUrl: String?
        public var apiKey: Secret?
        public var model: String?
        public var timeoutSeconds: Int
        public var structuredOutput: StructuredOutputMode
        /// The trained model the offline classifier combines with its cues (also as the LLM's fallback).
        public var modelFile: ClassifierModelChoice
        /// The trained model calls an email CRITICAL once CRITICAL is at least this likely (percent),
        /// even when another urgency is likelier (``LocalClassifier/defaultCriticalLikelihood``).
        public var criticalFromPercent: Int

        public init(
            provider: ClassifierProvider = .local, baseUrl: String? = nil, apiKey: Secret? = nil, model: String? = nil, timeoutSeconds: Int = 30,
            structuredOutput: StructuredOutputMode = .auto, modelFile: ClassifierModelChoice = .builtin,
            criticalFromPercent: Int = LocalClassifier.defaultCriticalFromPercent
        ) {
            self.provider = provider
            self.baseUrl = baseUrl
            self.apiKey = apiKey
            self.model = model
            self.timeoutSeconds = timeoutSeconds
            self.structuredOutput = structuredOutput
            self.modelFile = modelFile
            self.criticalFromPercent = criticalFromPercent
        }

        /// ``criticalFromPercent`` as the offline classifier takes it.
        public var criticalLikelihood: Double { LocalClassifier.likelihood(percent: criticalFromPercent) }

        init(reader c: ConfigReader) throws(ConfigError) {
            try c.rejectUnknownKeys(["provider", "baseUrl", "apiKey", "model", "timeoutSeconds", "structuredOutput", "modelFile", "criticalFromPercent"])
            let provider = try c.choice("provider", default: ClassifierProvider.local)
            let llm = provider == .openai
            let base = llm ? try c.string("baseUrl") : try c.optionalString("baseUrl")
            if llm {
                guard let base, let u = URLComponents(string: base), u.host?.isEmpty == false else {
                    throw ConfigError(keyPath: "classifier.baseUrl", problem: "required (an absolute URL) when classifier.provider is \"openai\"")
                }
            }
            let apiKey = llm ? try c.secret("apiKey") : nil
            if llm, apiKey?.isEmpty ?? true {
                throw ConfigError(keyPath: "classifier.apiKey", problem: "required when classifier.provider is \"openai\"")
            }
            let model = llm ? try c.string("model") : try c.optionalString("model")
            if llm, model?.isEmpty ?? true {
                throw ConfigError(keyPath: "classifier.model", problem: "required when classifier.provider is \"openai\"")
            }
            self.init(
                provider: provider, baseUrl: base.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }, apiKey: apiKey, model: model,
                timeoutSeconds: try c.int("timeoutSeconds", default: 30, range: 1...600),
                structuredOutput: try c.choice("structuredOutput", default: StructuredOutputMode.auto),
                modelFile: ClassifierModelChoice(try c.optionalString("modelFile")),
                criticalFromPercent: try c.int("criticalFromPercent", default: LocalClassifier.defaultCriticalFromPercent, range: 1...100))
        }
    }
}
