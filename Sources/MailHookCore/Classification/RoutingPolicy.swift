/// Decides what happens to a classified email: a pure function of the classification and the
/// `routing` configuration, exactly DESIGN §3 "Routing":
///
/// 1. category ESCALATION or urgency CRITICAL → ESCALATE;
/// 2. confidence ≥ the category's auto-handle threshold (factor × 100 from `categoryAdjustments`,
///    `thresholds.autoHandle` for a category without a factor) and the category is in
///    `autoRespondCategories` → AUTO_RESPOND;
/// 3. confidence ≥ `thresholds.suggestResponse` → SUGGEST_RESPONSE;
/// 4. confidence ≥ `thresholds.humanReview` → HUMAN_REVIEW;
/// 5. otherwise → ESCALATE (too unsure to do anything but hand it to people).
///
/// The factors are per-category confidence requirements, not multipliers of the confidence
/// (multiplying would make AUTO_RESPOND unreachable for INFORMATION and SUPPORT).
///
/// Named `RoutingPolicy`, not `Router`, because the server module imports Hummingbird's `Router` too.
public struct RoutingPolicy: Sendable {
    public let routing: MailHookConfiguration.Routing

    public init(_ routing: MailHookConfiguration.Routing) {
        self.routing = routing
    }

    public func route(_ classification: Classification) -> RoutingResult {
        route(category: classification.category, urgency: classification.urgency, confidence: classification.confidence)
    }

    public func route(category: Category, urgency: Urgency, confidence rawConfidence: Double) -> RoutingResult {
        // NaN or out-of-range confidences must not slip past a comparison: NaN counts as 0.
        let confidence = rawConfidence.isNaN ? 0 : min(max(rawConfidence, 0), 100)
        let shown = Self.format(confidence)
        if category == .escalation {
            return RoutingResult(decision: .escalate, rule: .escalationCategory, threshold: nil,
                                 explanation: "category ESCALATION is always escalated")
        }
        if urgency == .critical {
            return RoutingResult(decision: .escalate, rule: .criticalUrgency, threshold: nil,
                                 explanation: "urgency CRITICAL is always escalated (\(category.rawValue), confidence \(shown))")
        }
        let auto = autoHandleThreshold(for: category)
        let autoAllowed = routing.autoRespondCategories.contains(category)
        if confidence >= auto, autoAllowed {
            return RoutingResult(decision: .autoRespond, rule: .autoHandle, threshold: auto,
                                 explanation: "confidence \(shown) ≥ \(Self.format(auto)), the auto-handle threshold for \(category.rawValue)")
        }
        let notAllowed = confidence >= auto && !autoAllowed ? "; \(category.rawValue) is not in autoRespondCategories" : ""
        let suggest = routing.thresholds.suggestResponse
        if confidence >= suggest {
            return RoutingResult(decision: .suggestResponse, rule: .suggestResponse, threshold: suggest,
                                 explanation: "confidence \(shown) ≥ \(Self.format(suggest)) (suggestResponse)\(notAllowed)")
        }
        let review = routing.thresholds.humanReview
        if confidence >= review {
            return RoutingResult(decision: .humanReview, rule: .humanReview, threshold: review,
                                 explanation: "confidence \(shown) ≥ \(Self.format(review)) (humanReview), below \(Self.format(suggest)) (suggestResponse)")
        }
        return RoutingResult(decision: .escalate, rule: .belowHumanReview, threshold: review,
                             explanation: "confidence \(shown) < \(Self.format(review)) (humanReview): too unsure, escalated to people")
    }

    /// The confidence a category needs for AUTO_RESPOND: its factor × 100, rounded to 6 decimals
    /// so that a factor like 0.57 means exactly 57 (not 56.99999999999999).
    public func autoHandleThreshold(for category: Category) -> Double {
        guard let factor = routing.categoryAdjustments[category] else { return routing.thresholds.autoHandle }
        return (factor * 100 * 1_000_000).rounded() / 1_000_000
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String((value * 100).rounded() / 100)
    }
}

/// A routing decision with the rule and threshold that produced it, for `processing_results.confidence_routing`
/// and for people reading why an email was (not) answered automatically.
public struct RoutingResult: Sendable, Equatable, Codable {
    /// Which step of the routing rules decided.
    public enum Rule: String, Sendable, Equatable, Codable, CaseIterable {
        case escalationCategory = "escalation_category"
        case criticalUrgency = "critical_urgency"
        case autoHandle = "auto_handle"
        case suggestResponse = "suggest_response"
        case humanReview = "human_review"
        case belowHumanReview = "below_human_review"
    }

    public var decision: RoutingDecision
    public var rule: Rule
    /// The threshold that decided (for `belowHumanReview` the one the confidence fell short of);
    /// nil when no threshold was involved (rule 1).
    public var threshold: Double?
    public var explanation: String
    /// Set when a safety check turned AUTO_RESPOND into SUGGEST_RESPONSE.
    public var downgrade: Downgrade?

    /// The decision without a person answering: SUGGEST_RESPONSE, and why.
    public func downgraded(_ downgrade: Downgrade) -> RoutingResult {
        var result = self
        result.decision = .suggestResponse
        result.downgrade = downgrade
        result.explanation += "; not answered automatically: \(downgrade.reason)"
        return result
    }

    public init(decision: RoutingDecision, rule: Rule, threshold: Double?, explanation: String) {
        self.decision = decision
        self.rule = rule
        self.threshold = threshold
        self.explanation = explanation
    }
}
