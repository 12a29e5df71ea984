/// Trains the offline classifier's heads (``ClassifierModel``) from labelled emails: two logistic
/// regressions over the email's text features (``TextFeatures``) and the cues' scores. Deterministic: the same
/// emails give the same model.
public struct ClassifierTrainer: Sendable {
    /// Features seen in fewer training emails are left out: mostly names and typos,
    /// they would make the model large without helping on unseen mail.
    public var minimumDocuments: Int
    var settings: SoftmaxRegression.Settings

    public init(minimumDocuments: Int = 2, regularization: Double = 0.01, epochs: Int = 100) {
        self.minimumDocuments = max(1, minimumDocuments)
        settings = .init(regularization: regularization, epochs: max(1, epochs))
    }

    /// An example as the classifier sees it: PII removed, text features and cue inputs.
    struct Prepared: Sendable {
        let email: LabelledEmail
        /// The sanitised subject and body, as the pipeline hands them to the classifier.
        let subject: String
        let body: String
        let features: Set<String>
        let cues: [(name: String, value: Double)]
        /// Inputs only the urgency head reads (``CueInputs/urgencyValues(_:shape:)``).
        let urgencyCues: [(name: String, value: Double)]
    }

    /// Subject and body with personal data masked, as the pipeline classifies them.
    static func sanitized(_ email: LabelledEmail) -> (subject: String, body: String) {
        let sanitizer = Sanitizer()
        return (sanitizer.sanitize(email.subject).text, sanitizer.sanitize(email.body).text)
    }

    static func prepare(_ email: LabelledEmail, rules: LocalClassifier = LocalClassifier()) -> Prepared {
        let (subject, body) = sanitized(email)
        let scores = rules.scan(subject: subject, body: body).scores()
        return Prepared(
            email: email, subject: subject, body: body, features: TextFeatures.of(subject: subject, body: body), cues: CueInputs.values(scores),
            urgencyCues: CueInputs.urgencyValues(scores, shape: MessageShape(subject: subject, body: body)))
    }

    /// `feedback` of the examples came from people's corrections; the rest are fixtures.
    public func train(_ examples: [LabelledEmail], feedback: Int = 0, name: String) -> ClassifierModel {
        let rules = LocalClassifier()
        return train(examples.map { Self.prepare($0, rules: rules) }, feedback: feedback, name: name)
    }

    func train(_ examples: [Prepared], feedback: Int = 0, name: String) -> ClassifierModel {
        var documents: [String: Int] = [:]
        for example in examples {
            for feature in example.features { documents[feature, default: 0] += 1 }
        }
        let inputs = CueInputs.names + CueInputs.categoryNames + CueInputs.urgencyNames + documents.filter { $0.value >= minimumDocuments }.keys.sorted()
        var index: [String: Int32] = [:]
        for (i, name) in inputs.enumerated() { index[name] = Int32(i) }

        func sparse(_ example: Prepared, label: Int) -> SoftmaxRegression.Example {
            var row = SoftmaxRegression.Example(indices: [], values: [], label: label)
            for (name, value) in example.cues where value != 0 {
                if let i = index[name] { row.indices.append(i); row.values.append(value) }
            }
            for feature in example.features.sorted() {
                if let i = index[feature] { row.indices.append(i); row.values.append(TextFeatures.value(of: feature)) }
            }
            return row
        }
        let categoryRows = examples.map { sparse($0, label: Category.allCases.firstIndex(of: $0.email.category) ?? 0) }
        let category = SoftmaxRegression.train(categoryRows, labels: Category.allCases.count, dimension: inputs.count, settings: settings)
        // The urgency head also reads the category head's probabilities (how urgent mail is depends on
        // what it asks), the rules' urgency and the email's shape.
        var p = [Double](repeating: 0, count: Category.allCases.count)
        let categoryInputs = CueInputs.categoryNames.map { index[$0] ?? 0 }
        let urgencyRows = examples.indices.compactMap { i -> SoftmaxRegression.Example? in
            guard let label = examples[i].email.urgency.flatMap({ Urgency.allCases.firstIndex(of: $0) }) else { return nil }
            var row = categoryRows[i]
            row.label = label
            category.probabilities(row.indices, row.values, into: &p)
            row.indices += categoryInputs
            row.values += p
            for (name, value) in examples[i].urgencyCues where value != 0 {
                if let j = index[name] { row.indices.append(j); row.values.append(value) }
            }
            return row
        }
        let urgency = SoftmaxRegression.train(urgencyRows, labels: Urgency.allCases.count, dimension: inputs.count, settings: settings)
        return ClassifierModel(
            name: name,
            trainedOn: .init(
                fixtures: examples.count - feedback, feedback: feedback, minimumDocuments: minimumDocuments,
                regularization: settings.regularization, epochs: settings.epochs),
            category: Self.head(category, labels: Category.allCases.map(\.rawValue), inputs: inputs),
            urgency: Self.head(urgency, labels: Urgency.allCases.map(\.rawValue), inputs: inputs))
    }

    /// Weights rounded to six decimals (the file stays readable and diffs stay small); inputs whose
    /// weights all round to zero are left out.
    static func head(_ model: SoftmaxRegression, labels: [String], inputs: [String]) -> LinearHead {
        func round(_ w: Double) -> Double { (w * 1e6).rounded() / 1e6 }
        var weights: [String: [Double]] = [:]
        for (i, name) in inputs.enumerated() {
            let row = model.row(i).map(round)
            if row.contains(where: { $0 != 0 }) { weights[name] = row }
        }
        return LinearHead(labels: labels, bias: model.bias.map(round), weights: weights)
    }
}
