import Foundation

/// What an IT email asks for. The raw values are the names stored in `classification_results`,
/// written in `routing` configuration and asked of an LLM, so they never change.
public enum Category: String, Sendable, Hashable, Codable, CaseIterable {
    /// Buy, order, renew or pay for hardware, software, licences or services.
    case purchasing = "PURCHASING"
    /// Something does not work, or someone needs IT to do an operational task for them.
    case support = "SUPPORT"
    /// A question answered with a fact, a policy, a status or a document.
    case information = "INFORMATION"
    /// Needs IT management now: a complaint, a stalled issue, a major outage or a security incident.
    case escalation = "ESCALATION"
    /// Asks for IT's advice, review or planning before a decision is made.
    case consultation = "CONSULTATION"

    /// Case-insensitive, whitespace-tolerant lookup, because LLMs answer "Support" as often as "SUPPORT".
    public init?(lenient text: String) {
        self.init(rawValue: Self.normalized(text))
    }

    static func normalized(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            .replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }
}

/// How soon the email needs a person. Ordered, so `urgency >= .high` reads naturally.
public enum Urgency: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"
    /// Business stopped or security at immediate risk: always routed to ``RoutingDecision/escalate``.
    case critical = "CRITICAL"

    public init?(lenient text: String) {
        self.init(rawValue: Category.normalized(text))
    }

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: Urgency, rhs: Urgency) -> Bool { lhs.rank < rhs.rank }
}

/// What the pipeline does with a classified email (DESIGN §3 "Routing"). Stored as the raw value.
public enum RoutingDecision: String, Sendable, Hashable, Codable, CaseIterable {
    /// Reply without a person: only for confident classifications in `autoRespondCategories`.
    case autoRespond = "AUTO_RESPOND"
    /// Draft a reply for a person to check and send.
    case suggestResponse = "SUGGEST_RESPONSE"
    /// Flag for a person to read; no draft.
    case humanReview = "HUMAN_REVIEW"
    /// Hand to people now (Teams): escalations, critical urgency, or too unsure to do anything else.
    case escalate = "ESCALATE"
}

extension Category: Vocabulary {}
extension Urgency: Vocabulary {}
extension RoutingDecision: Vocabulary {}
