/// The result of classifying one email, from an LLM or the ``LocalClassifier``. It carries what
/// routing needs (category, confidence, urgency), what people read (reasoning, suggested action)
/// and what auditing needs (which cues fired, which model and prompt produced it).
///
/// Encoded with the snake_case keys of the LLM answer and the `classification_results` columns.
public struct Classification: Sendable, Equatable, Codable {
    public var category: Category
    /// 0...100. Routing compares it with percentage thresholds.
    public var confidence: Double
    public var reasoning: String
    public var urgency: Urgency
    public var suggestedAction: String
    /// Lower-case skill names (e.g. "network", "security") matched against `teams.expertiseMapping`.
    public var requiredExpertise: [String]
    /// Free text such as "15 minutes" or "2-4 hours".
    public var estimatedEffort: String
    /// The rules that fired, for explainability; empty for LLM answers.
    public var cues: [String]
    /// "local-rules" for the offline classifier, else the LLM model name.
    public var modelUsed: String
    /// ``PromptTemplates/version`` or ``LocalClassifier/rulesVersion``, so results can be compared across changes.
    public var promptVersion: String
    /// Tokens the LLM reported using; nil for the offline classifier.
    public var tokensUsed: Int?

    public init(
        category: Category, confidence: Double, reasoning: String, urgency: Urgency, suggestedAction: String,
        requiredExpertise: [String], estimatedEffort: String, cues: [String] = [], modelUsed: String,
        promptVersion: String, tokensUsed: Int? = nil
    ) {
        self.category = category
        self.confidence = confidence
        self.reasoning = reasoning
        self.urgency = urgency
        self.suggestedAction = suggestedAction
        self.requiredExpertise = requiredExpertise
        self.estimatedEffort = estimatedEffort
        self.cues = cues
        self.modelUsed = modelUsed
        self.promptVersion = promptVersion
        self.tokensUsed = tokensUsed
    }

    enum CodingKeys: String, CodingKey {
        case category, confidence, reasoning, urgency, cues
        case suggestedAction = "suggested_action"
        case requiredExpertise = "required_expertise"
        case estimatedEffort = "estimated_effort"
        case modelUsed = "model_used"
        case promptVersion = "prompt_version"
        case tokensUsed = "tokens_used"
    }
}
