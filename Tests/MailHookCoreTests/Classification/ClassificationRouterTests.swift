import MailHookCore
import Testing

extension ClassificationTests {
    /// DESIGN §3 "Routing", edge by edge, with the shipped defaults (autoHandle 85, suggestResponse 60,
    /// humanReview 40; PURCHASING .95, SUPPORT .85, INFORMATION .80, ESCALATION .90, CONSULTATION .75;
    /// autoRespondCategories INFORMATION and SUPPORT) unless a case changes them.
    struct RouterTests {
        struct Case: Sendable, CustomTestStringConvertible {
            var category: MailHookCore.Category
            var urgency: Urgency
            var confidence: Double
            var decision: RoutingDecision
            var rule: RoutingResult.Rule
            var threshold: Double?
            var adjust: @Sendable (inout MailHookConfiguration.Routing) -> Void = { _ in }
            var note: String

            var testDescription: String { "\(note): \(category.rawValue)/\(urgency.rawValue) @ \(confidence) → \(decision.rawValue)" }
        }

        static let cases: [Case] = [
            // 1. ESCALATION or CRITICAL → ESCALATE, whatever the confidence.
            Case(category: .escalation, urgency: .low, confidence: 100, decision: .escalate, rule: .escalationCategory, threshold: nil, note: "escalation category, full confidence"),
            Case(category: .escalation, urgency: .medium, confidence: 0, decision: .escalate, rule: .escalationCategory, threshold: nil, note: "escalation category, no confidence"),
            Case(category: .escalation, urgency: .low, confidence: 100, decision: .escalate, rule: .escalationCategory, threshold: nil,
                 adjust: { $0.autoRespondCategories.append(.escalation) }, note: "escalation even when listed for auto-respond"),
            Case(category: .support, urgency: .critical, confidence: 100, decision: .escalate, rule: .criticalUrgency, threshold: nil, note: "CRITICAL overrides high confidence"),
            Case(category: .information, urgency: .critical, confidence: 99, decision: .escalate, rule: .criticalUrgency, threshold: nil, note: "CRITICAL information"),
            Case(category: .purchasing, urgency: .critical, confidence: 10, decision: .escalate, rule: .criticalUrgency, threshold: nil, note: "CRITICAL, low confidence"),
            // 2. Auto-handle: exactly at and just below each auto-respond category's threshold.
            Case(category: .support, urgency: .high, confidence: 85, decision: .autoRespond, rule: .autoHandle, threshold: 85, note: "SUPPORT exactly at .85"),
            Case(category: .support, urgency: .low, confidence: 84.99, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "SUPPORT just below .85"),
            Case(category: .information, urgency: .low, confidence: 80, decision: .autoRespond, rule: .autoHandle, threshold: 80, note: "INFORMATION exactly at .80"),
            Case(category: .information, urgency: .medium, confidence: 79.9, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "INFORMATION just below .80"),
            Case(category: .information, urgency: .high, confidence: 100, decision: .autoRespond, rule: .autoHandle, threshold: 80, note: "INFORMATION, full confidence, HIGH urgency"),
            // Categories not in autoRespondCategories never auto-respond, however sure.
            Case(category: .purchasing, urgency: .medium, confidence: 100, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "PURCHASING not auto-respond"),
            Case(category: .purchasing, urgency: .low, confidence: 95, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "PURCHASING at its .95"),
            Case(category: .consultation, urgency: .low, confidence: 99, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "CONSULTATION not auto-respond"),
            Case(category: .purchasing, urgency: .low, confidence: 95, decision: .autoRespond, rule: .autoHandle, threshold: 95,
                 adjust: { $0.autoRespondCategories = [.purchasing] }, note: "PURCHASING when listed, at .95"),
            Case(category: .purchasing, urgency: .low, confidence: 94.9, decision: .suggestResponse, rule: .suggestResponse, threshold: 60,
                 adjust: { $0.autoRespondCategories = [.purchasing] }, note: "PURCHASING when listed, below .95"),
            Case(category: .support, urgency: .low, confidence: 99, decision: .suggestResponse, rule: .suggestResponse, threshold: 60,
                 adjust: { $0.autoRespondCategories = [.purchasing] }, note: "SUPPORT when no longer listed"),
            Case(category: .consultation, urgency: .low, confidence: 75, decision: .autoRespond, rule: .autoHandle, threshold: 75,
                 adjust: { $0.autoRespondCategories = [.consultation] }, note: "CONSULTATION when listed, at .75"),
            // A category without a factor uses thresholds.autoHandle.
            Case(category: .support, urgency: .low, confidence: 85, decision: .autoRespond, rule: .autoHandle, threshold: 85,
                 adjust: { $0.categoryAdjustments[.support] = nil }, note: "no factor, at autoHandle"),
            Case(category: .support, urgency: .low, confidence: 84.9, decision: .suggestResponse, rule: .suggestResponse, threshold: 60,
                 adjust: { $0.categoryAdjustments[.support] = nil }, note: "no factor, below autoHandle"),
            Case(category: .information, urgency: .low, confidence: 70, decision: .autoRespond, rule: .autoHandle, threshold: 70,
                 adjust: { $0.categoryAdjustments = [:]; $0.thresholds.autoHandle = 70 }, note: "no factors, autoHandle 70"),
            Case(category: .information, urgency: .low, confidence: 69.9, decision: .suggestResponse, rule: .suggestResponse, threshold: 60,
                 adjust: { $0.categoryAdjustments = [:]; $0.thresholds.autoHandle = 70 }, note: "no factors, below autoHandle 70"),
            // factor × 100 is exact: 0.57 means 57, not 56.99999999999999.
            Case(category: .support, urgency: .low, confidence: 57, decision: .autoRespond, rule: .autoHandle, threshold: 57,
                 adjust: { $0.categoryAdjustments[.support] = 0.57 }, note: "factor 0.57 at 57"),
            // 3. and 4.: exactly at and just below suggestResponse and humanReview.
            Case(category: .support, urgency: .medium, confidence: 60, decision: .suggestResponse, rule: .suggestResponse, threshold: 60, note: "exactly at suggestResponse"),
            Case(category: .support, urgency: .medium, confidence: 59.99, decision: .humanReview, rule: .humanReview, threshold: 40, note: "just below suggestResponse"),
            Case(category: .consultation, urgency: .high, confidence: 40, decision: .humanReview, rule: .humanReview, threshold: 40, note: "exactly at humanReview"),
            Case(category: .purchasing, urgency: .low, confidence: 39.99, decision: .escalate, rule: .belowHumanReview, threshold: 40, note: "just below humanReview"),
            // 5. Below everything → ESCALATE.
            Case(category: .information, urgency: .low, confidence: 0, decision: .escalate, rule: .belowHumanReview, threshold: 40, note: "zero confidence"),
            Case(category: .support, urgency: .low, confidence: .nan, decision: .escalate, rule: .belowHumanReview, threshold: 40, note: "NaN counts as zero"),
            Case(category: .support, urgency: .low, confidence: 150, decision: .autoRespond, rule: .autoHandle, threshold: 85, note: "above 100 is clamped"),
            Case(category: .support, urgency: .low, confidence: 50, decision: .suggestResponse, rule: .suggestResponse, threshold: 50,
                 adjust: { $0.thresholds.suggestResponse = 50; $0.thresholds.humanReview = 50 }, note: "equal suggest and review thresholds"),
        ]

        @Test(arguments: ClassificationTests.RouterTests.cases)
        func routes(_ c: Case) {
            var routing = MailHookConfiguration.defaults().routing
            c.adjust(&routing)
            let result = RoutingPolicy(routing).route(category: c.category, urgency: c.urgency, confidence: c.confidence)
            #expect(result.decision == c.decision)
            #expect(result.rule == c.rule)
            #expect(result.threshold == c.threshold)
            #expect(!result.explanation.isEmpty)
        }

        @Test(arguments: MailHookCore.Category.allCases)
        func everyCategoryHasItsConfiguredThreshold(_ category: MailHookCore.Category) {
            let policy = RoutingPolicy(MailHookConfiguration.defaults().routing)
            let expected: [MailHookCore.Category: Double] = [.purchasing: 95, .support: 85, .information: 80, .escalation: 90, .consultation: 75]
            #expect(policy.autoHandleThreshold(for: category) == expected[category])
        }

        @Test func theExplanationSaysWhyAConfidentCategoryIsNotAnsweredAlone() {
            let result = RoutingPolicy(MailHookConfiguration.defaults().routing).route(category: .purchasing, urgency: .low, confidence: 99)
            #expect(result.explanation.contains("PURCHASING is not in autoRespondCategories"))
        }

        @Test func aClassificationRoutesByItsFields() {
            let classification = Classification(
                category: .information, confidence: 91, reasoning: "", urgency: .low, suggestedAction: "", requiredExpertise: [],
                estimatedEffort: "", modelUsed: "test", promptVersion: "test")
            #expect(RoutingPolicy(MailHookConfiguration.defaults().routing).route(classification).decision == .autoRespond)
        }
    }
}
