/// The offline rules classifier (``LocalClassifier``) behind the ``EmailClassifier`` protocol.
public struct LocalEmailClassifier: EmailClassifier {
    let classifier: LocalClassifier

    public init(classifier: LocalClassifier = LocalClassifier()) {
        self.classifier = classifier
    }

    public func classify(_ input: ClassifierInput) async -> ClassifierOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let classification = classifier.classify(subject: input.subject, body: input.body)
        return ClassifierOutcome(classification: classification, timings: .init(totalMs: (clock.now - start).wholeMilliseconds))
    }
}

/// The fallback that decides nothing: SUPPORT at confidence 50 and MEDIUM urgency, which the
/// default thresholds route to HUMAN_REVIEW. For sites that would rather have a person read an
/// email than trust the keyword rules when the LLM is down.
public struct HumanReviewFallback: EmailClassifier {
    /// `Classification.modelUsed` of its results, so they are easy to find later.
    public static let modelName = "human-review-fallback"
    public static let reasoning = "LLM unavailable; needs human review"

    public init() {}

    public func classify(_ input: ClassifierInput) async -> ClassifierOutcome {
        ClassifierOutcome(classification: Self.classification)
    }

    public static let classification = Classification(
        category: .support,
        confidence: 50,
        reasoning: reasoning,
        urgency: .medium,
        suggestedAction: "A person reads the email and decides what to do.",
        requiredExpertise: [],
        estimatedEffort: "",
        modelUsed: modelName,
        promptVersion: PromptTemplates.version)
}
