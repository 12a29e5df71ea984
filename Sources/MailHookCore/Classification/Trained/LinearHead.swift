import Foundation

/// One trained head of the offline classifier (category or urgency) as stored in a model file: a
/// logistic regression's bias and, per input, one weight per label. Inputs are the email's text
/// features (``TextFeatures``) and the cue inputs (``CueInputs``), which carry a `:` so they never
/// collide with a word.
public struct LinearHead: Sendable, Codable, Equatable {
    /// Label names in a fixed order: the raw values of ``Category`` or ``Urgency``.
    public var labels: [String]
    public var bias: [Double]
    public var weights: [String: [Double]]

    public init(labels: [String], bias: [Double], weights: [String: [Double]]) {
        self.labels = labels
        self.bias = bias
        self.weights = weights
    }
}

/// The cue scores as inputs of the trained heads: each category's and each urgency's cue score
/// (scaled), and which category the rules alone would choose. Through them the heads learn how
/// far to trust each kind of cue.
enum CueInputs {
    static let scale = 0.3

    static let names: [String] =
        Category.allCases.map { "cue:" + $0.rawValue } + Urgency.allCases.map { "cue:" + $0.rawValue }
        + Category.allCases.map { "rules:" + $0.rawValue }

    /// Inputs of the urgency head only: the category head's probabilities.
    static let categoryNames: [String] = Category.allCases.map { "category:" + $0.rawValue }

    /// Inputs of the urgency head only: the urgency the rules alone would choose and the email's shape.
    static let urgencyNames: [String] = Urgency.allCases.map { "rules:" + $0.rawValue } + MessageShape.names

    static func urgencyValues(_ scores: LocalClassifier.Scan.CueScores, shape: MessageShape) -> [(name: String, value: Double)] {
        let chosen = LocalClassifier.Scan.urgency(scores.urgency, category: scores.rulesCategory)
        return [("rules:" + chosen.rawValue, 1)] + shape.inputs
    }

    static func values(_ scores: LocalClassifier.Scan.CueScores) -> [(name: String, value: Double)] {
        var values: [(String, Double)] = []
        values.reserveCapacity(names.count)
        for (i, category) in Category.allCases.enumerated() { values.append(("cue:" + category.rawValue, scores.category[i] * scale)) }
        for (i, urgency) in Urgency.allCases.enumerated() { values.append(("cue:" + urgency.rawValue, scores.urgency[i] * scale)) }
        let chosen = scores.rulesCategory
        for category in Category.allCases { values.append(("rules:" + category.rawValue, category == chosen ? 1 : 0)) }
        return values
    }
}
