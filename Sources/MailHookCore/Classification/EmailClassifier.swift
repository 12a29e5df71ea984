/// What a classifier reads: the subject and body after ``Sanitizer`` removed personal data.
public struct ClassifierInput: Sendable, Equatable {
    public var subject: String
    /// Already sanitised; classifiers truncate it to their own budget.
    public var body: String
    /// The sender's domain (`contoso.com`), a hint for the LLM; nil when unknown.
    public var senderDomain: String?

    public init(subject: String, body: String, senderDomain: String? = nil) {
        self.subject = subject
        self.body = body
        self.senderDomain = senderDomain
    }
}

/// A classification together with how it was obtained.
public struct ClassifierOutcome: Sendable, Equatable {
    /// Where the time went, in milliseconds. Calls that were not made are nil.
    public struct Timings: Sendable, Equatable {
        /// The whole ``EmailClassifier/classify(_:)`` call.
        public var totalMs: Int
        /// The LLM classification call, retries included.
        public var classificationMs: Int?
        /// The LLM confidence-assessment call, retries included.
        public var confidenceMs: Int?
        /// The fallback classifier, when it ran.
        public var fallbackMs: Int?

        public init(totalMs: Int = 0, classificationMs: Int? = nil, confidenceMs: Int? = nil, fallbackMs: Int? = nil) {
            self.totalMs = totalMs
            self.classificationMs = classificationMs
            self.confidenceMs = confidenceMs
            self.fallbackMs = fallbackMs
        }
    }

    public var classification: Classification
    /// True when the primary classifier failed and the fallback produced ``classification``.
    public var fellBack: Bool
    /// A short reason for a fallback or a partial failure (for `error_message`); never a secret.
    public var failure: String?
    public var timings: Timings

    public init(classification: Classification, fellBack: Bool = false, failure: String? = nil, timings: Timings = Timings()) {
        self.classification = classification
        self.fellBack = fellBack
        self.failure = failure
        self.timings = timings
    }
}

/// Classifies one email. Never throws: a classifier that cannot answer falls back to one that
/// can (DESIGN §4 "Degrade, don't fail"), and says so in the outcome.
public protocol EmailClassifier: Sendable {
    func classify(_ input: ClassifierInput) async -> ClassifierOutcome
}

extension Duration {
    /// Whole milliseconds, for timings and logs (saturating: never traps).
    public var wholeMilliseconds: Int {
        let ms = self / .milliseconds(1)
        return ms.isFinite ? Int(max(min(ms, Double(Int.max / 2)), Double(Int.min / 2))) : 0
    }
}
