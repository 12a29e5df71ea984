import Foundation
@testable import MailHookCore
import Testing

extension ClassificationTests {
    /// Product paths load models through ``ClassifierModel/load(_:)``, which validates; a model built
    /// in code does not pass through it, and must still never trap or give a non-finite result.
    struct UncheckedModelTests {
        static func classify(category: LinearHead, urgency: LinearHead) -> Classification {
            let model = ClassifierModel(
                name: "unchecked", trainedOn: .init(fixtures: 0, feedback: 0, minimumDocuments: 1, regularization: 0, epochs: 0),
                category: category, urgency: urgency)
            #expect(throws: ClassifierModelError.self) { try model.validate() }
            return LocalClassifier(model: model).classify(subject: "Printer down", body: "The printer on floor 2 is down again.")
        }

        @Test func headsOfTheWrongShapeDoNotTrap() {
            let short = Self.classify(
                category: LinearHead(labels: ["A"], bias: [1], weights: ["printer": [5]]),
                urgency: LinearHead(labels: [], bias: [], weights: [:]))
            #expect(short.confidence.isFinite && short.confidence >= 0 && short.confidence <= 95)

            let long = Self.classify(
                category: LinearHead(labels: [], bias: [0, 0, 0, 0, 0, 0, 9], weights: ["printer": [0, 0, 0, 0, 0, 0, 9, 9]]),
                urgency: LinearHead(labels: [], bias: Array(repeating: 1, count: 9), weights: ["down": Array(repeating: 2, count: 12)]))
            #expect(long.confidence.isFinite && long.confidence >= 0 && long.confidence <= 95)
        }

        @Test func nonFiniteAndHugeWeightsGiveFiniteResults() {
            let labels = MailHookCore.Category.allCases.map(\.rawValue)
            let result = Self.classify(
                category: LinearHead(labels: labels, bias: [.nan, 0, .infinity, 0, 0], weights: ["printer": [1e300, 1e300, -1e300, .nan, 0], "down": [1e300, 0, 0, 0, 0]]),
                urgency: LinearHead(labels: Urgency.allCases.map(\.rawValue), bias: [0, -.infinity, 0, 0], weights: ["printer": [.nan, 1e308, 1e308, 0]]))
            #expect(result.confidence.isFinite && result.confidence >= 0 && result.confidence <= 95)
            #expect(result.category == .purchasing, "1e300 counts as 1000: \"printer\" and \"down\" both lift PURCHASING")
        }
    }
}
