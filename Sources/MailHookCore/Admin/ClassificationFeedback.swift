/// A person's verdict on one email's classification (`POST /analytics/feedback`), validated.
public struct ClassificationFeedback: Sendable, Equatable {
    public var emailId: String
    public var correctCategory: Category
    public var correctUrgency: Urgency?
    public var rating: FeedbackRating
    public var comment: String?

    public init(emailId: String, correctCategory: Category, correctUrgency: Urgency? = nil, rating: FeedbackRating, comment: String? = nil) {
        self.emailId = emailId
        self.correctCategory = correctCategory
        self.correctUrgency = correctUrgency
        self.rating = rating
        self.comment = comment
    }

    /// Why a body was refused, naming the field.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    static let maxIdLength = 512
    static let maxCommentLength = 4000
    static let fields: Set<String> = ["email_id", "correct_category", "correct_urgency", "rating", "comment"]

    /// Reads `{"email_id", "correct_category", "correct_urgency"?, "rating", "comment"?}`.
    public init(json: JSONValue) throws(Invalid) {
        guard let object = json.objectValue else { throw Invalid(description: "the body must be a JSON object") }
        if let unknown = object.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw Invalid(description: "unknown field \(unknown.clipped(to: 64).debugDescription)")
        }
        func text(_ key: String, max: Int) throws(Invalid) -> String? {
            guard let value = object[key], value != .null else { return nil }
            guard let string = value.stringValue else { throw Invalid(description: "\(key) must be a string") }
            // Counted in scalars: one character can hold any number of combining marks.
            guard string.unicodeScalars.count <= max else { throw Invalid(description: "\(key) is longer than \(max) characters") }
            return string
        }
        func choice<V: RawRepresentable & CaseIterable>(_ key: String, _: V.Type) throws(Invalid) -> V? where V.RawValue == String {
            guard let raw = try text(key, max: 64) else { return nil }
            guard let value = V(rawValue: raw) else {
                throw Invalid(description: "\(key) must be one of \(V.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
        guard let emailId = try text("email_id", max: Self.maxIdLength), !emailId.isEmpty else {
            throw Invalid(description: "email_id is required")
        }
        guard let category = try choice("correct_category", Category.self) else { throw Invalid(description: "correct_category is required") }
        guard let rating = try choice("rating", FeedbackRating.self) else { throw Invalid(description: "rating is required") }
        self.init(
            emailId: emailId, correctCategory: category, correctUrgency: try choice("correct_urgency", Urgency.self), rating: rating,
            comment: try text("comment", max: Self.maxCommentLength))
    }
}
