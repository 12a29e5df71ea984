/// What-if routing (`mailhook simulate`, `POST /analytics/simulate`): the routing policy run again
/// over stored classifications with other settings. Nothing is changed or sent; the report says how
/// decisions would move and how often people's feedback says each new decision class acts on a
/// wrong category.
public struct RoutingSimulation: Sendable, Equatable, Encodable {
    /// Stored classifications alike in everything routing and its report read, and what became of them.
    public struct Sample: Sendable, Equatable {
        /// How many emails share these values.
        public var count: Int
        public var category: Category
        public var urgency: Urgency
        public var confidence: Double
        /// The decision recorded when it was processed; nil when none was recorded.
        public var decision: RoutingDecision?
        /// The category of the email's latest feedback, if any.
        public var corrected: Category?

        public init(count: Int = 1, category: Category, urgency: Urgency, confidence: Double, decision: RoutingDecision?, corrected: Category?) {
            self.count = count
            self.category = category
            self.urgency = urgency
            self.confidence = confidence
            self.decision = decision
            self.corrected = corrected
        }
    }

    /// Emails recorded with `from` that the new settings send to `to`.
    public struct Cell: Sendable, Equatable, Encodable {
        public var from: String
        public var to: String
        public var count: Int
    }

    /// One decision class under the new settings.
    public struct Outcome: Sendable, Equatable, Encodable {
        public var decision: String
        public var emails: Int
        /// Of those, emails with feedback.
        public var rated: Int
        /// Of the rated, emails whose feedback names another category than MailHook's.
        public var wrong: Int
        /// `wrong / rated`; nil without feedback.
        public var errorRate: Double?

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(decision, forKey: .decision)
            try c.encode(emails, forKey: .emails)
            try c.encode(rated, forKey: .rated)
            try c.encode(wrong, forKey: .wrong)
            try c.encode(errorRate, forKey: .errorRate)
        }

        enum CodingKeys: String, CodingKey {
            case decision, emails, rated, wrong
            case errorRate = "error_rate"
        }
    }

    public var days: Int
    public var emails = 0
    /// Emails whose decision would change.
    public var changed = 0

    private var cells: [String: [String: Int]] = [:]
    private var tallies: [RoutingDecision: Tally] = [:]

    private struct Tally: Sendable, Equatable {
        var emails = 0
        var rated = 0
        var wrong = 0
    }

    public init(days: Int) {
        self.days = days
    }

    /// The label of a missing recorded decision in the matrix.
    public static let unrecorded = "NONE"

    public mutating func add(_ sample: Sample, policy: RoutingPolicy) {
        let new = policy.route(category: sample.category, urgency: sample.urgency, confidence: sample.confidence).decision
        let old = sample.decision?.rawValue ?? Self.unrecorded
        let count = max(0, sample.count)
        emails += count
        if sample.decision != new { changed += count }
        cells[old, default: [:]][new.rawValue, default: 0] += count
        var tally = tallies[new] ?? Tally()
        tally.emails += count
        if let corrected = sample.corrected {
            tally.rated += count
            if corrected != sample.category { tally.wrong += count }
        }
        tallies[new] = tally
    }

    /// Old → new decision counts, ordered by old then new.
    public var matrix: [Cell] {
        cells.flatMap { from, row in row.map { Cell(from: from, to: $0.key, count: $0.value) } }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
    }

    /// Per new decision class, in the vocabulary's order.
    public var outcomes: [Outcome] {
        RoutingDecision.allCases.compactMap { decision in
            tallies[decision].map { t in
                Outcome(decision: decision.rawValue, emails: t.emails, rated: t.rated, wrong: t.wrong, errorRate: t.rated == 0 ? nil : Double(t.wrong) / Double(t.rated))
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case days, emails, changed, matrix, outcomes
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(days, forKey: .days)
        try c.encode(emails, forKey: .emails)
        try c.encode(changed, forKey: .changed)
        try c.encode(matrix, forKey: .matrix)
        try c.encode(outcomes, forKey: .outcomes)
    }
}
