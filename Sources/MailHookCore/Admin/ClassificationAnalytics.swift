/// `GET /analytics/classification?days=N`: what was classified in the window and how people's
/// feedback agrees with it. Counted in SQL; only the email's latest feedback counts.
public struct ClassificationAnalytics: Sendable, Equatable, Encodable {
    public struct CategoryShare: Sendable, Equatable, Encodable {
        public var category: String
        public var count: Int
        public var averageConfidence: Double

        public init(category: String, count: Int, averageConfidence: Double) {
            self.category = category
            self.count = count
            self.averageConfidence = averageConfidence
        }

        enum CodingKeys: String, CodingKey {
            case category, count
            case averageConfidence = "average_confidence"
        }
    }

    /// Confidence from `from` up to, not including, `from + 10` (the last bucket includes 100).
    public struct ConfidenceBucket: Sendable, Equatable, Encodable {
        public var from: Int
        public var count: Int

        public init(from: Int, count: Int) {
            self.from = from
            self.count = count
        }
    }

    public struct Share: Sendable, Equatable, Encodable {
        public var value: String
        public var count: Int

        public init(value: String, count: Int) {
            self.value = value
            self.count = count
        }
    }

    public struct ModelShare: Sendable, Equatable, Encodable {
        public var model: String?
        public var promptVersion: String?
        public var count: Int

        public init(model: String?, promptVersion: String?, count: Int) {
            self.model = model
            self.promptVersion = promptVersion
            self.count = count
        }

        enum CodingKeys: String, CodingKey {
            case model, count
            case promptVersion = "prompt_version"
        }
    }

    /// One cell of the confusion matrix: emails MailHook put in `classified` that a person put in `corrected`.
    public struct ConfusionCell: Sendable, Equatable, Encodable {
        public var classified: String
        public var corrected: String
        public var count: Int

        public init(classified: String, corrected: String, count: Int) {
            self.classified = classified
            self.corrected = corrected
            self.count = count
        }
    }

    public struct CategoryAgreement: Sendable, Equatable, Encodable {
        public var category: String
        public var rated: Int
        public var agreeing: Int
        public var agreementRate: Double

        enum CodingKeys: String, CodingKey {
            case category, rated, agreeing
            case agreementRate = "agreement_rate"
        }
    }

    public struct Feedback: Sendable, Equatable, Encodable {
        /// Classified emails in the window with feedback.
        public var rated: Int
        /// Of those, the ones whose latest feedback names MailHook's category.
        public var agreeing: Int
        /// `agreeing / rated`; nil without feedback.
        public var agreementRate: Double?
        /// Per category MailHook chose.
        public var perCategory: [CategoryAgreement]
        public var confusion: [ConfusionCell]

        public init(confusion: [ConfusionCell]) {
            self.confusion = confusion
            rated = confusion.reduce(0) { $0 + $1.count }
            agreeing = confusion.filter { $0.classified == $0.corrected }.reduce(0) { $0 + $1.count }
            agreementRate = rated == 0 ? nil : Double(agreeing) / Double(rated)
            perCategory = Dictionary(grouping: confusion, by: \.classified).map { category, cells in
                let rated = cells.reduce(0) { $0 + $1.count }
                let agreeing = cells.filter { $0.corrected == category }.reduce(0) { $0 + $1.count }
                return CategoryAgreement(category: category, rated: rated, agreeing: agreeing, agreementRate: Double(agreeing) / Double(max(1, rated)))
            }.sorted { $0.category < $1.category }
        }

        enum CodingKeys: String, CodingKey {
            case rated, agreeing, confusion
            case agreementRate = "agreement_rate"
            case perCategory = "per_category"
        }

        /// `agreement_rate` is `null` without feedback, not left out.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rated, forKey: .rated)
            try c.encode(agreeing, forKey: .agreeing)
            try c.encode(agreementRate, forKey: .agreementRate)
            try c.encode(perCategory, forKey: .perCategory)
            try c.encode(confusion, forKey: .confusion)
        }
    }

    public var days: Int
    public var classified: Int
    public var categories: [CategoryShare]
    public var confidenceHistogram: [ConfidenceBucket]
    public var urgency: [Share]
    public var models: [ModelShare]
    /// Emails the fallback classified because the LLM failed.
    public var llmFallbacks: Int
    public var feedback: Feedback

    public init(
        days: Int, categories: [CategoryShare], confidenceHistogram: [ConfidenceBucket], urgency: [Share], models: [ModelShare],
        llmFallbacks: Int, feedback: Feedback
    ) {
        self.days = days
        self.classified = categories.reduce(0) { $0 + $1.count }
        self.categories = categories
        self.confidenceHistogram = confidenceHistogram
        self.urgency = urgency
        self.models = models
        self.llmFallbacks = llmFallbacks
        self.feedback = feedback
    }

    enum CodingKeys: String, CodingKey {
        case days, classified, categories, urgency, models, feedback
        case confidenceHistogram = "confidence_histogram"
        case llmFallbacks = "llm_fallbacks"
    }

    /// The `days` parameter: 1 to ``EmailHistoryQuery/maxDays``, 30 when absent.
    public static func days(parameters: [(String, String)]) throws(EmailHistoryQuery.Invalid) -> Int {
        var days = 30
        for (name, value) in parameters {
            guard name == "days" else { throw EmailHistoryQuery.Invalid(description: "unknown parameter \(name.clipped(to: 64).debugDescription)") }
            days = try EmailHistoryQuery.number(name, value, 1...EmailHistoryQuery.maxDays)
        }
        return days
    }
}
