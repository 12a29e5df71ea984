import Foundation

/// The trained component of the offline classifier, as stored in a model file
/// (`classifier.modelFile`, written by `mailhook train`; a default trained on the labelled
/// fixtures ships with MailHook). JSON, validated in full on load: a model file is input too.
public struct ClassifierModel: Sendable, Codable, Equatable {
    public static let formatName = "mailhook-classifier-model"
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// Recorded as the classification's prompt version next to the rules version, so results
    /// can be told apart by model in analytics.
    public var name: String
    /// What it was trained on and how, for people reading the file.
    public var trainedOn: TrainingSummary
    public var category: LinearHead
    public var urgency: LinearHead

    public struct TrainingSummary: Sendable, Codable, Equatable {
        public var fixtures: Int
        public var feedback: Int
        /// Words, word pairs and character grams in fewer training emails were left out.
        public var minimumDocuments: Int
        public var regularization: Double
        public var epochs: Int

        public init(fixtures: Int, feedback: Int, minimumDocuments: Int, regularization: Double, epochs: Int) {
            self.fixtures = fixtures
            self.feedback = feedback
            self.minimumDocuments = minimumDocuments
            self.regularization = regularization
            self.epochs = epochs
        }
    }

    public init(name: String, trainedOn: TrainingSummary, category: LinearHead, urgency: LinearHead) {
        format = Self.formatName
        version = Self.currentVersion
        self.name = name
        self.trainedOn = trainedOn
        self.category = category
        self.urgency = urgency
    }

    /// Decodes and checks a model file; the error says what is wrong, never echoes the file.
    public static func load(_ data: Data) throws -> ClassifierModel {
        let model: ClassifierModel
        do {
            model = try JSONDecoder().decode(ClassifierModel.self, from: data)
        } catch {
            throw ClassifierModelError("not a MailHook classifier model (JSON with format, version, category, urgency expected)")
        }
        try model.validate()
        return model
    }

    /// The model file: compact JSON with sorted keys, so the same model gives the same bytes.
    public func encoded() -> Data { JSONWriter.data(self) }

    static let maximumInputs = 500_000
    static let maximumName = 100
    /// Far beyond what training produces; finite, so sums stay finite.
    static let weightRange = -1000.0...1000.0

    public func validate() throws {
        guard format == Self.formatName else { throw ClassifierModelError("format must be \"\(Self.formatName)\"") }
        guard version == Self.currentVersion else { throw ClassifierModelError("version \(version) is not supported (expected \(Self.currentVersion))") }
        guard !name.isEmpty, name.count <= Self.maximumName, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ClassifierModelError("name must be 1–\(Self.maximumName) letters, digits, '-', '_' or '.'")
        }
        try Self.check(category, "category", labels: Category.allCases.map(\.rawValue))
        try Self.check(urgency, "urgency", labels: Urgency.allCases.map(\.rawValue))
    }

    static func check(_ head: LinearHead, _ field: String, labels: [String]) throws {
        guard head.labels == labels else { throw ClassifierModelError("\(field).labels must be \(labels.joined(separator: ", ")) in that order") }
        guard head.bias.count == labels.count, head.bias.allSatisfy(weightRange.contains) else {
            throw ClassifierModelError("\(field).bias must hold \(labels.count) numbers in \(weightRange.lowerBound)...\(weightRange.upperBound)")
        }
        guard head.weights.count <= maximumInputs else { throw ClassifierModelError("\(field) has more than \(maximumInputs) weights") }
        for (input, row) in head.weights where input.isEmpty || row.count != labels.count || !row.allSatisfy(weightRange.contains) {
            throw ClassifierModelError("\(field).weights must map non-empty inputs to \(labels.count) numbers in \(weightRange.lowerBound)...\(weightRange.upperBound)")
        }
    }
}

public struct ClassifierModelError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, without the "classifier model:" prefix.
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "classifier model: " + reason }
}
