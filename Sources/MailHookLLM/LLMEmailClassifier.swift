import Logging
import MailHookCore

/// Classifies with an LLM in two calls, and falls back when the LLM cannot answer.
///
/// 1. The classification prompt (``PromptTemplates/classification(subject:body:senderDomain:)``,
///    body cut to ``Sanitizer/Budget/classify``, the answer's JSON Schema sent as structured output)
///    parsed by
///    ``LLMAnswerParser/parseClassification(_:modelUsed:promptVersion:tokensUsed:)``.
/// 2. The confidence assessment (``PromptTemplates/confidenceAssessment(subject:body:category:fence:)``,
///    body cut to ``Sanitizer/Budget/confidence``): its integer replaces the confidence, because a
///    narrow second question calibrates better than the number a model writes next to its own answer.
///
/// If call 1 fails after its retries or answers something unusable, ``fallback`` classifies and
/// the outcome says why (`fellBack`). If only call 2 fails, call 1's confidence stays and the
/// outcome notes it in `failure` without falling back: the category is still the LLM's.
public struct LLMEmailClassifier: EmailClassifier {
    /// Room for the JSON object with a couple of sentences of reasoning.
    public static let classificationMaxTokens = 500
    /// The answer is one integer; a little room for models that add "Confidence:".
    public static let confidenceMaxTokens = 16

    public let client: ChatCompletionsClient
    /// Written to `Classification.modelUsed`.
    public let model: String
    public let fallback: any EmailClassifier
    let logger: Logger

    public init(
        client: ChatCompletionsClient, model: String, fallback: any EmailClassifier = LocalEmailClassifier(),
        logger: Logger = Logger(label: "mailhook.llm", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.client = client
        self.model = model
        self.fallback = fallback
        self.logger = logger
    }

    public func classify(_ input: ClassifierInput) async -> ClassifierOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var timings = ClassifierOutcome.Timings()
        let subject = Sanitizer.truncate(input.subject, toCharacters: 300)

        // Call 1: the classification.
        let prompt = PromptTemplates.classification(
            subject: subject, body: Sanitizer.truncate(input.body, to: .classify), senderDomain: input.senderDomain)
        let first: ChatCompletionsClient.Completion
        var callStart = clock.now
        do {
            first = try await client.complete(prompt, maxTokens: Self.classificationMaxTokens, answer: AnswerSchemas.classification)
        } catch {
            timings.classificationMs = (clock.now - callStart).wholeMilliseconds
            return await fallBack(input, reason: "LLM classification failed: \(error)", timings: timings, start: start, clock: clock)
        }
        timings.classificationMs = (clock.now - callStart).wholeMilliseconds
        var classification: Classification
        do {
            classification = try LLMAnswerParser.parseClassification(first.content, modelUsed: model, tokensUsed: first.totalTokens)
        } catch {
            return await fallBack(input, reason: "LLM classification answer unusable: \(error)", timings: timings, start: start, clock: clock)
        }

        // Call 2: the confidence routing uses.
        let assessment = PromptTemplates.confidenceAssessment(
            subject: subject, body: Sanitizer.truncate(input.body, to: .confidence), category: classification.category)
        var note: String?
        callStart = clock.now
        do {
            let second = try await client.complete(assessment, maxTokens: Self.confidenceMaxTokens, answer: AnswerSchemas.confidence)
            if let tokens = second.totalTokens { classification.tokensUsed = (classification.tokensUsed ?? 0) + tokens }
            do {
                classification.confidence = Double(try LLMAnswerParser.parseConfidence(second.content))
            } catch {
                note = "LLM confidence assessment unusable (\(error)); kept the classification's own confidence"
            }
        } catch {
            note = "LLM confidence assessment failed (\(error)); kept the classification's own confidence"
        }
        timings.confidenceMs = (clock.now - callStart).wholeMilliseconds
        if let note {
            logger.notice("LLM confidence assessment not used", metadata: ["mailhook.llm.reason": "\(note)"])
        }
        timings.totalMs = (clock.now - start).wholeMilliseconds
        return ClassifierOutcome(classification: classification, fellBack: false, failure: note, timings: timings)
    }

    private func fallBack(
        _ input: ClassifierInput, reason: String, timings: ClassifierOutcome.Timings, start: ContinuousClock.Instant, clock: ContinuousClock
    ) async -> ClassifierOutcome {
        logger.warning("LLM classification unavailable, using the fallback classifier", metadata: ["mailhook.llm.reason": "\(reason)"])
        var timings = timings
        let fallbackStart = clock.now
        let outcome = await fallback.classify(input)
        timings.fallbackMs = (clock.now - fallbackStart).wholeMilliseconds
        timings.totalMs = (clock.now - start).wholeMilliseconds
        let failure = [reason, outcome.failure].compactMap { $0 }.joined(separator: "; ")
        return ClassifierOutcome(classification: outcome.classification, fellBack: true, failure: failure, timings: timings)
    }
}
