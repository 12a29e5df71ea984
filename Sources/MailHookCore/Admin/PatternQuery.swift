import Foundation

/// `GET /analytics/patterns?min_frequency=&min_automation_potential=&limit=&cursor=`: subject
/// patterns, most frequent first, paged by keyset.
public struct PatternQuery: Sendable, Equatable {
    public var minFrequency = 2
    /// 0...100, compared with ``PatternSummary/automationPotential``.
    public var minAutomationPotential = 0
    public var limit = 50
    /// After this pattern, in the listing's order.
    public var after: Cursor?

    public static let maxLimit = 500

    /// A position in the listing: `<frequency>:<pattern id>` as ``PatternsPage/nextCursor`` gives it.
    public struct Cursor: Sendable, Equatable {
        public var frequency: Int
        public var patternId: String

        public init(frequency: Int, patternId: String) {
            self.frequency = frequency
            self.patternId = patternId
        }

        public init?(token: String) {
            guard token.utf8.count <= 128, let colon = token.firstIndex(of: ":") else { return nil }
            let id = token[token.index(after: colon)...]
            guard let frequency = Int(token[..<colon]), frequency >= 0, !id.isEmpty,
                  id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
            self.init(frequency: frequency, patternId: String(id))
        }

        public var token: String { "\(frequency):\(patternId)" }
    }

    public init() {}

    static let parameters: Set<String> = ["min_frequency", "min_automation_potential", "limit", "cursor"]

    public init(parameters: [(String, String)]) throws(EmailHistoryQuery.Invalid) {
        self.init()
        for (name, value) in parameters {
            guard Self.parameters.contains(name) else {
                throw EmailHistoryQuery.Invalid(description: "unknown parameter \(name.clipped(to: 64).debugDescription)")
            }
            switch name {
            case "min_frequency": minFrequency = try EmailHistoryQuery.number(name, value, 1...999_999)
            case "min_automation_potential": minAutomationPotential = try EmailHistoryQuery.number(name, value, 0...100)
            case "limit": limit = try EmailHistoryQuery.number(name, value, 1...Self.maxLimit)
            default:
                guard let cursor = Cursor(token: value) else { throw EmailHistoryQuery.Invalid(description: "cursor is not one this server issued") }
                after = cursor
            }
        }
    }

}

/// One subject pattern: emails whose subjects normalise to the same signature.
public struct PatternSummary: Sendable, Equatable, Encodable {
    public var patternId: String
    public var signature: String
    public var description: String
    public var frequency: Int
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Category → emails.
    public var categories: [String: Int]
    /// The newest email ids (at most 10).
    public var sampleIds: [String]
    /// 0...100: the mean over the pattern's emails of what their routing decision leaves to MailHook
    /// (AUTO_RESPOND 100, SUGGEST_RESPONSE 60, HUMAN_REVIEW 30, ESCALATE 0), one decimal.
    public var automationPotential: Double
    /// frequency × automation potential ÷ 100 × ``minutesPerEmail``, rounded.
    public var estimatedMinutesSaved: Int

    /// What handling one routine email by hand is assumed to cost.
    public static let minutesPerEmail = 5.0

    public init(
        patternId: String, signature: String, description: String, frequency: Int, firstSeen: Date?, lastSeen: Date?,
        categories: [String: Int], sampleIds: [String], automationPotential: Double
    ) {
        self.patternId = patternId
        self.signature = signature
        self.description = description
        self.frequency = frequency
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.categories = categories
        self.sampleIds = sampleIds
        // Both come from a stored row: a NaN or a count near Int.max must not trap the listing.
        let potential = automationPotential.isFinite ? min(max(automationPotential, 0), 100) : 0
        self.automationPotential = (potential * 10).rounded() / 10
        let minutes = (Double(max(frequency, 0)) * potential / 100 * Self.minutesPerEmail).rounded()
        estimatedMinutesSaved = Int(exactly: minutes) ?? Int.max
    }

    enum CodingKeys: String, CodingKey {
        case signature, description, frequency, categories
        case patternId = "pattern_id"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
        case sampleIds = "sample_ids"
        case automationPotential = "automation_potential"
        case estimatedMinutesSaved = "estimated_minutes_saved"
    }
}

public struct PatternsPage: Sendable, Equatable, Encodable {
    public var patterns: [PatternSummary]
    /// Pass as `cursor` for the next page; nil on the last.
    public var nextCursor: String?

    public init(patterns: [PatternSummary], nextCursor: String?) {
        self.patterns = patterns
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case patterns
        case nextCursor = "next_cursor"
    }

    /// `next_cursor` is `null` on the last page, not left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(patterns, forKey: .patterns)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
