import Foundation

/// How a classifier does on labelled emails: confusion matrices of categories and urgencies, and
/// the emails it disagreed on. ``crossValidate(_:folds:trainer:criticalFromPercent:)`` measures the trained classifier
/// on emails it was not trained on, which is the figure that predicts unseen mail.
public struct ClassifierEvaluation: Sendable, Equatable {
    /// `confusion[actual][predicted]`, indexed like `Category.allCases`.
    public private(set) var confusion: [[Int]]
    /// `urgencyConfusion[labelled][predicted]`, indexed like `Urgency.allCases`; emails labelled
    /// without an urgency are not counted.
    public private(set) var urgencyConfusion: [[Int]]
    /// Every email whose category or urgency differed from its label, in the order classified.
    public private(set) var disagreements: [ClassifierDisagreement] = []
    /// Per confidence band (``bandEdges``): emails and how many were right, so routing thresholds can be judged.
    public private(set) var bands = Array(repeating: Band(), count: bandEdges.count)
    /// Filled by ``crossValidate(_:folds:trainer:criticalFromPercent:)``: the same emails at other CRITICAL thresholds.
    public private(set) var criticalTradeoff = CriticalTradeoff()

    public static let bandEdges: [Double] = [0, 40, 60, 80, 85, 90]

    public struct Band: Sendable, Equatable {
        public var emails = 0
        public var correct = 0
    }

    public init() {
        confusion = Array(repeating: Array(repeating: 0, count: Category.allCases.count), count: Category.allCases.count)
        urgencyConfusion = Array(repeating: Array(repeating: 0, count: Urgency.allCases.count), count: Urgency.allCases.count)
    }

    public var urgencyTotal: Int { urgencyConfusion.joined().reduce(0, +) }
    public var urgencyCorrect: Int { urgencyConfusion.indices.map { urgencyConfusion[$0][$0] }.reduce(0, +) }

    public var total: Int { confusion.joined().reduce(0, +) }
    public var correct: Int { confusion.indices.map { confusion[$0][$0] }.reduce(0, +) }
    public var accuracy: Double { Self.ratio(correct, total) }
    public var urgencyAccuracy: Double { Self.ratio(urgencyCorrect, urgencyTotal) }

    public func recall(_ category: Category) -> Double {
        let i = Self.index(category)
        return Self.ratio(confusion[i][i], confusion[i].reduce(0, +))
    }

    public func precision(_ category: Category) -> Double {
        let i = Self.index(category)
        return Self.ratio(confusion[i][i], confusion.map { $0[i] }.reduce(0, +))
    }

    public mutating func record(_ email: LabelledEmail, _ result: Classification) {
        confusion[Self.index(email.category)][Self.index(result.category)] += 1
        let band = Self.bandEdges.lastIndex { result.confidence >= $0 } ?? 0
        bands[band].emails += 1
        if email.category == result.category { bands[band].correct += 1 }
        if let urgency = email.urgency {
            urgencyConfusion[Self.index(urgency)][Self.index(result.urgency)] += 1
        }
        if email.category != result.category || (email.urgency.map { $0 != result.urgency } ?? false) {
            disagreements.append(ClassifierDisagreement(email, result))
        }
    }

    public static func evaluate(_ classifier: LocalClassifier, on emails: [LabelledEmail]) -> ClassifierEvaluation {
        var evaluation = ClassifierEvaluation()
        for email in emails {
            let clean = ClassifierTrainer.sanitized(email)
            evaluation.record(email, classifier.classify(subject: clean.subject, body: clean.body))
        }
        return evaluation
    }

    /// `folds`-fold cross-validation, stratified by category: each email is classified by a model
    /// trained on the other folds, with CRITICAL from `criticalFromPercent` (``criticalTradeoff``
    /// has the others). Folds are assigned by a hash of the id, so runs repeat exactly.
    public static func crossValidate(
        _ emails: [LabelledEmail], folds: Int = 10, trainer: ClassifierTrainer = ClassifierTrainer(),
        criticalFromPercent: Int = LocalClassifier.defaultCriticalFromPercent
    ) -> ClassifierEvaluation {
        let folds = max(2, folds)
        let rules = LocalClassifier()
        let prepared = emails.map { ClassifierTrainer.prepare($0, rules: rules) }
        var fold = [Int](repeating: 0, count: prepared.count)
        for category in Category.allCases {
            let members = prepared.indices.filter { prepared[$0].email.category == category }
                .sorted { (hash(prepared[$0].email.id), prepared[$0].email.id) < (hash(prepared[$1].email.id), prepared[$1].email.id) }
            for (position, index) in members.enumerated() { fold[index] = position % folds }
        }
        var evaluation = ClassifierEvaluation()
        evaluation.criticalTradeoff = CriticalTradeoff(configured: criticalFromPercent)
        for k in 0..<folds {
            let training = prepared.indices.filter { fold[$0] != k }.map { prepared[$0] }
            let classifier = LocalClassifier(model: trainer.train(training, name: "cv-fold-\(k)"), criticalLikelihood: LocalClassifier.likelihood(percent: criticalFromPercent))
            let variants = evaluation.criticalTradeoff.rows.map { classifier.criticalFrom(LocalClassifier.likelihood(percent: $0.percent)) }
            for index in prepared.indices where fold[index] == k {
                let example = prepared[index]
                let result = classifier.classify(subject: example.subject, body: example.body)
                evaluation.record(example.email, result)
                for (row, variant) in variants.enumerated() {
                    let own = evaluation.criticalTradeoff.rows[row].percent == criticalFromPercent
                    evaluation.criticalTradeoff.record(row, example.email, own ? result : variant.classify(subject: example.subject, body: example.body))
                }
            }
        }
        return evaluation
    }

    /// Per-category precision and recall, accuracy and urgency accuracy, as a Markdown table.
    public func table() -> String {
        var lines = ["| category | emails | precision | recall |", "|---|---:|---:|---:|"]
        for category in Category.allCases {
            let n = confusion[Self.index(category)].reduce(0, +)
            lines.append("| \(category.rawValue) | \(n) | \(Self.percent(precision(category))) | \(Self.percent(recall(category))) |")
        }
        lines.append("| **category accuracy** | \(total) | | \(Self.percent(accuracy)) (\(correct)/\(total)) |")
        lines.append("| **urgency accuracy** | \(urgencyTotal) | | \(Self.percent(urgencyAccuracy)) (\(urgencyCorrect)/\(urgencyTotal)) |")
        lines += ["", "| labelled urgency, chosen: | " + Urgency.allCases.map(\.rawValue).joined(separator: " | ") + " |"]
        lines.append("|---|" + String(repeating: "---:|", count: Urgency.allCases.count))
        for (i, urgency) in Urgency.allCases.enumerated() {
            lines.append("| \(urgency.rawValue) | " + urgencyConfusion[i].map(String.init).joined(separator: " | ") + " |")
        }
        lines += ["", "| confidence | emails | category accuracy |", "|---|---:|---:|"]
        for (i, edge) in Self.bandEdges.enumerated() {
            let label = i + 1 < Self.bandEdges.count ? "\(Int(edge))–\(Int(Self.bandEdges[i + 1]))" : "≥ \(Int(edge))"
            let band = bands[i]
            lines.append("| \(label) | \(band.emails) | \(band.emails == 0 ? "–" : Self.percent(Self.ratio(band.correct, band.emails))) |")
        }
        return lines.joined(separator: "\n")
    }

    static func index(_ category: Category) -> Int { Category.allCases.firstIndex(of: category) ?? 0 }
    static func index(_ urgency: Urgency) -> Int { Urgency.allCases.firstIndex(of: urgency) ?? 0 }
    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
    static func percent(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }

    /// FNV-1a: a stable hash (Swift's `Hasher` is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }
}
