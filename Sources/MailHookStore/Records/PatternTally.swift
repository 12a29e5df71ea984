import Foundation
import MailHookCore

/// The aggregate columns of an `email_patterns` row. The pattern fold reads the row, merges its
/// observations in Swift and writes it back, the same on both databases.
struct PatternTally: Equatable {
    /// `sample_emails` keeps this many of the newest email ids.
    static let maxSamples = 10
    /// `sender_patterns` keeps this many sender domains: a common subject from many senders must
    /// not grow a row the fold rewrites without end. The least frequent go first (of equals, the
    /// last in name order), never the domain just counted.
    static let maxSenders = 100

    var frequency: Int
    var lastSeen: Date
    var automationPotential: Double
    var confidence: Double
    var samples: [String]
    var categories: [String: Int]
    var senders: [String: Int]

    /// The row of a pattern's first email.
    init(first observation: PatternObservation) {
        self.init(frequency: 0, lastSeen: observation.seenAt, automationPotential: 0, confidence: 0, samples: [], categories: [:], senders: [:])
        self = adding(observation)
    }

    init(frequency: Int, lastSeen: Date, automationPotential: Double, confidence: Double, samples: [String], categories: [String: Int], senders: [String: Int]) {
        self.frequency = frequency
        self.lastSeen = lastSeen
        self.automationPotential = automationPotential
        self.confidence = confidence
        self.samples = samples
        self.categories = categories
        self.senders = senders
    }

    /// A stored row; JSON columns that are missing or unreadable count as empty.
    init(frequency: Int, lastSeen: Date, automationPotential: Double, confidence: Double, sampleEmails: String?, affectedCategories: String?, senderPatterns: String?) {
        self.init(
            frequency: frequency, lastSeen: lastSeen, automationPotential: automationPotential, confidence: confidence,
            samples: StoredJSON.strings(sampleEmails), categories: StoredJSON.counts(affectedCategories), senders: StoredJSON.counts(senderPatterns))
    }

    /// One more email under this pattern.
    func adding(_ observation: PatternObservation) -> PatternTally {
        var next = self
        let n = Double(max(frequency, 0))
        // Saturating: a stored count is outside input too.
        next.frequency = frequency == .max ? .max : frequency + 1
        next.lastSeen = max(lastSeen, observation.seenAt)
        next.automationPotential = (automationPotential * n + observation.automationPotential) / (n + 1)
        next.confidence = (confidence * n + observation.confidence) / (n + 1)
        if !next.samples.contains(observation.emailId) { next.samples.append(observation.emailId) }
        next.samples = Array(next.samples.suffix(Self.maxSamples))
        Self.increment(&next.categories, observation.category.rawValue)
        if let domain = observation.senderDomain {
            Self.increment(&next.senders, domain)
            if next.senders.count > Self.maxSenders {
                // One sort, also for a damaged row holding thousands.
                let others = next.senders.filter { $0.key != domain }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                var kept = Dictionary(uniqueKeysWithValues: others.prefix(Self.maxSenders - 1).map { ($0.key, $0.value) })
                kept[domain] = next.senders[domain]
                next.senders = kept
            }
        }
        return next
    }

    private static func increment(_ counts: inout [String: Int], _ key: String) {
        let count = counts[key, default: 0]
        counts[key] = count == .max ? .max : count + 1
    }

    var samplesJSON: String { StoredJSON.text(samples) }
    var categoriesJSON: String { StoredJSON.text(categories) }
    var sendersJSON: String { StoredJSON.text(senders) }
}

/// JSON text in and out of the JSON columns (SQLite TEXT, PostgreSQL JSONB read back as text).
/// Reading is lenient: a stored column that is missing or unreadable counts as empty.
enum StoredJSON {
    static func text(_ strings: [String]) -> String { JSONWriter.text(strings) }

    static func text(_ counts: [String: Int]) -> String { JSONWriter.text(counts) }

    static func strings(_ text: String?) -> [String] {
        parse(text)?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    static func counts(_ text: String?) -> [String: Int] {
        parse(text)?.objectValue?.compactMapValues { value in
            if case .number(let n) = value, n.isFinite { return Int(exactly: n.rounded(.towardZero)) }
            return nil
        } ?? [:]
    }

    static func parse(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONValue.parse(Array(text.utf8))
    }
}

extension Classification {
    /// A `classification_results` row. Names this version does not know, or a confidence outside
    /// 0…100, make it nil, so the email is classified again rather than routed on a guess.
    static func stored(
        category: String, confidence: Double, reasoning: String, urgency: String, suggestedAction: String, requiredExpertise: String?,
        estimatedEffort: String?, modelUsed: String?, promptVersion: String?, tokensUsed: Int?
    ) -> Classification? {
        // A stored row is outside input too: a confidence routing cannot read (NaN, 1e308, -3) makes
        // the email be classified again, like a name this version does not know.
        guard let category = Category(rawValue: category), let urgency = Urgency(rawValue: urgency), (0...100).contains(confidence) else { return nil }
        return Classification(
            category: category, confidence: confidence, reasoning: reasoning, urgency: urgency, suggestedAction: suggestedAction,
            requiredExpertise: StoredJSON.strings(requiredExpertise), estimatedEffort: estimatedEffort ?? "", modelUsed: modelUsed ?? "",
            promptVersion: promptVersion ?? "", tokensUsed: tokensUsed)
    }
}

extension ProcessingRecord {
    /// `completed` and `failed` end processing, so they stamp `email_messages.processed_datetime`.
    func processedAt(now: Date) -> Date? {
        status.isFinal ? (completedAt ?? now) : nil
    }
}
