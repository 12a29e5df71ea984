/// Both trained heads laid out for classifying: one index from input name to row serves both heads,
/// and each head's weights sit in one flat array. A model file's `[input: [weight]]` form cost a
/// hash lookup and a retained row array per feature and head, most of a classification's time.
/// A head without weights for an input adds zero for it, so results are the model file's exactly.
/// Memory: (inputs of either head) × labels doubles a head, bounded by the model file's limits.
struct FlatHeads: Sendable {
    struct Head: Sendable {
        let labels: Int
        let bias: [Double]
        /// `weights[row * labels + label]`.
        let weights: [Double]

        /// `labels` is what the caller indexes by (the categories or urgencies), whatever the head
        /// says: a model built in code skips ``ClassifierModel/validate()``, and a bias or row of
        /// another length or a non-finite weight must not trap or poison a result. Such values
        /// count as zero and the rest are held to the range a model file may use; validated
        /// models are read exactly.
        init(_ head: LinearHead, labels: Int, index: [String: Int32]) {
            self.labels = labels
            bias = (0..<labels).map { head.bias.indices.contains($0) ? Self.bounded(head.bias[$0]) : 0 }
            var weights = [Double](repeating: 0, count: index.count * labels)
            for (name, row) in head.weights {
                guard let i = index[name], row.count == labels else { continue }
                for k in 0..<labels { weights[Int(i) * labels + k] = Self.bounded(row[k]) }
            }
            self.weights = weights
        }

        static func bounded(_ weight: Double) -> Double {
            weight.isFinite ? min(max(weight, ClassifierModel.weightRange.lowerBound), ClassifierModel.weightRange.upperBound) : 0
        }

        /// Label probabilities for inputs given as (row, value).
        func probabilities(_ inputs: [(row: Int32, value: Double)]) -> [Double] {
            var z = bias
            weights.withUnsafeBufferPointer { w in
                for input in inputs {
                    assert(Int(input.row) * labels + labels <= w.count, "rows come from this index")
                    let base = Int(input.row) * labels
                    for k in 0..<labels { z[k] += input.value * w[base + k] }
                }
            }
            SoftmaxRegression.softmax(&z)
            return z
        }
    }

    let index: [String: Int32]
    let category: Head
    let urgency: Head

    init(category: LinearHead, urgency: LinearHead) {
        var index: [String: Int32] = [:]
        for name in category.weights.keys.sorted() + urgency.weights.keys.sorted() where index[name] == nil {
            index[name] = Int32(index.count)
        }
        self.index = index
        self.category = Head(category, labels: Category.allCases.count, index: index)
        self.urgency = Head(urgency, labels: Urgency.allCases.count, index: index)
    }

    /// The features' rows with their values, in the set's order; features no head knows are left out.
    func rows(of features: Set<String>) -> [(row: Int32, value: Double)] {
        var rows: [(row: Int32, value: Double)] = []
        rows.reserveCapacity(features.count)
        for feature in features {
            if let row = index[feature] { rows.append((row, TextFeatures.value(of: feature))) }
        }
        return rows
    }

    /// Named inputs (the cues') as rows; zeros and unknown names are left out.
    func rows(of inputs: [(name: String, value: Double)]) -> [(row: Int32, value: Double)] {
        inputs.compactMap { input in input.value == 0 ? nil : index[input.name].map { ($0, input.value) } }
    }
}
