import Foundation
@testable import MailHookCore
import Testing

extension ClassificationTests {
    /// The trained urgency head calls an email CRITICAL from ``LocalClassifier/defaultCriticalLikelihood``
    /// up, even when another urgency is likelier, and says so in the result.
    struct CriticalTests {
        /// A model whose heads read nothing: their biases alone give the probabilities.
        static func model(urgency p: [Double]) -> ClassifierModel {
            ClassifierModel(
                name: "fixed", trainedOn: .init(fixtures: 0, feedback: 0, minimumDocuments: 1, regularization: 0, epochs: 0),
                category: LinearHead(labels: MailHookCore.Category.allCases.map(\.rawValue), bias: [0, 3, 0, 0, 0], weights: [:]),
                urgency: LinearHead(labels: Urgency.allCases.map(\.rawValue), bias: p.map { log($0) }, weights: [:]))
        }

        static func classify(urgency p: [Double], from threshold: Double = LocalClassifier.defaultCriticalLikelihood) -> Classification {
            LocalClassifier(model: model(urgency: p), criticalLikelihood: threshold).classify(subject: "VPN", body: "The VPN drops every few minutes.")
        }

        @Test func criticalWinsOnceItIsFifteenPercentLikely() {
            #expect(LocalClassifier.defaultCriticalLikelihood == 0.15)
            #expect(Double(LocalClassifier.defaultCriticalFromPercent) / 100 == LocalClassifier.defaultCriticalLikelihood, "the setting's default is the same")
            let critical = Self.classify(urgency: [0.1, 0.2, 0.5, 0.2])
            #expect(critical.category == .support)
            #expect(critical.urgency == .critical)
            #expect(critical.cues.contains { $0.contains("urgency CRITICAL 20 % (CRITICAL from 15 % up; likeliest HIGH 50 %)") }, "\(critical.cues)")
            #expect(critical.reasoning.contains("CRITICAL from 15 % up"), "\(critical.reasoning)")

            let high = Self.classify(urgency: [0.15, 0.36, 0.4, 0.09])
            #expect(high.urgency == .high)
            #expect(!high.cues.contains { $0.contains("CRITICAL from") })

            let likeliest = Self.classify(urgency: [0.05, 0.05, 0.1, 0.8])
            #expect(likeliest.urgency == .critical)
            #expect(!likeliest.cues.contains { $0.contains("likeliest") }, "nothing to explain when CRITICAL is the likeliest")
        }

        /// `classifier.criticalFromPercent`: a site trades critical mail found against escalations.
        @Test func aSiteSetsItsOwnThreshold() {
            let p = [0.1, 0.2, 0.5, 0.2]
            #expect(Self.classify(urgency: p, from: 0.25).urgency == .high)
            let lower = Self.classify(urgency: p, from: 0.2)
            #expect(lower.urgency == .critical)
            #expect(lower.cues.contains { $0.contains("(CRITICAL from 20 % up; likeliest HIGH 50 %)") }, "\(lower.cues)")
            #expect(Self.classify(urgency: p, from: 1).urgency == .high, "only when CRITICAL is the likeliest")
            #expect(Self.classify(urgency: [0.05, 0.05, 0.1, 0.8], from: 1).urgency == .critical)
            // Out-of-range values from code (configuration rejects them) are clamped, never trusted.
            #expect(Self.classify(urgency: p, from: .nan).urgency == .critical, "NaN falls back to the default")
            #expect(Self.classify(urgency: [0.3, 0.6, 0.08, 0.02], from: -1).urgency == .critical, "clamped to 1 %")
            #expect(Self.classify(urgency: [0.3, 0.6, 0.095, 0.005], from: -1).urgency == .medium, "clamped to 1 %, not 0")
            #expect(Self.classify(urgency: [0.3, 0.6, 0.08, 0.02], from: 0.03).urgency == .medium)
        }
    }
}
