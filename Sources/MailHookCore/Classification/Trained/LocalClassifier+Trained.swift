/// The trained component inside ``LocalClassifier``: two logistic-regression heads (category and
/// urgency) that read the email's words and the cues' scores and make the decision. The cues still
/// explain it: the result lists the model's probabilities first, then the cues that fired, and
/// says when the model overruled what the cues alone would have chosen.
extension LocalClassifier {
    struct TrainedHeads: Sendable {
        let name: String
        let heads: FlatHeads
        let criticalLikelihood: Double

        init(_ model: ClassifierModel, criticalLikelihood: Double) {
            self.init(name: model.name, heads: FlatHeads(category: model.category, urgency: model.urgency), criticalLikelihood: criticalLikelihood)
        }

        init(name: String, heads: FlatHeads, criticalLikelihood: Double) {
            self.name = name
            self.heads = heads
            self.criticalLikelihood = criticalLikelihood
        }

        struct Decision {
            var categoryProbabilities: [Double]
            var category: Int
            var secondCategory: Int
            var urgencyProbabilities: [Double]
            var urgency: Int
            /// The likeliest urgency; differs from `urgency` when CRITICAL won below the top (``criticalLikelihood``).
            var likeliestUrgency: Int
            /// The winner's probability in percent, capped like the rules' confidence: never certain.
            var confidence: Double
        }

        func decide(features: Set<String>, shape: MessageShape, scores: Scan.CueScores) -> Decision {
            let words = heads.rows(of: features)
            let cues = heads.rows(of: CueInputs.values(scores))
            let p = heads.category.probabilities(words + cues)
            let u = heads.urgency.probabilities(
                words + cues + heads.rows(of: zip(CueInputs.categoryNames, p).map { ($0, $1) } + CueInputs.urgencyValues(scores, shape: shape)))
            var order = Array(p.indices)
            order.sort { p[$0] != p[$1] ? p[$0] > p[$1] : Scan.tiePriority[$0] < Scan.tiePriority[$1] }
            let likeliest = u.indices.max { u[$0] < u[$1] } ?? 1
            let critical = Urgency.allCases.firstIndex(of: .critical) ?? likeliest
            let urgencyIndex = u.indices.contains(critical) && u[critical] >= criticalLikelihood ? critical : likeliest
            let confidence = min((p[order[0]] * 1000).rounded() / 10, LocalClassifier.maximumConfidence)
            return Decision(
                categoryProbabilities: p, category: order[0], secondCategory: order[1], urgencyProbabilities: u,
                urgency: urgencyIndex, likeliestUrgency: likeliest, confidence: confidence)
        }
    }

    /// `Classification.modelUsed` when a trained model takes part.
    public static let trainedModelName = "local-rules+trained"

    /// Every `Classification.modelUsed` the offline classifier writes.
    public static let modelNames: Set<String> = [modelName, trainedModelName]

    /// Neither the rules nor the trained model are ever sure.
    static let maximumConfidence = 95.0

    /// The urgency head calls an email CRITICAL once that is at least this likely, even when
    /// another urgency is likelier: a critical email answered as a routine one costs far more
    /// than a high one escalated. Chosen on the cross-validated first four fixture sets (CRITICAL
    /// found 89.5 % against 64.8 %, urgency accuracy 76.9 % against 77.0 %), then confirmed on
    /// the fifth, unseen (26 of 28 CRITICAL against 19, accuracy 81.0 % against 81.5 %). A site
    /// sets its own with `classifier.criticalFromPercent` (the README has the trade-off measured).
    public static let defaultCriticalFromPercent = 15
    /// The same as a likelihood.
    public static let defaultCriticalLikelihood = likelihood(percent: defaultCriticalFromPercent)

    /// A threshold in percent (`classifier.criticalFromPercent`) as the likelihood the urgency head compares.
    public static func likelihood(percent: Int) -> Double { Double(percent) / 100 }
}
