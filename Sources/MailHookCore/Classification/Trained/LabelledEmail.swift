/// One email with the category (and urgency) a person gave it: a line of the labelled fixtures or
/// a `classification_feedback` row with its email. What `mailhook train` learns from.
public struct LabelledEmail: Sendable, Equatable {
    public var id: String
    public var subject: String
    public var body: String
    public var category: Category
    /// Nil when the person gave only a category (feedback may).
    public var urgency: Urgency?

    public init(id: String, subject: String, body: String, category: Category, urgency: Urgency?) {
        self.id = id
        self.subject = subject
        self.body = body
        self.category = category
        self.urgency = urgency
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// JSON Lines, one `{"id", "subject", "body", "category", "urgency"?, …}` object per line (other
    /// keys such as `sender` and `note` are allowed and ignored). `source` names the file in errors.
    public static func parseLines(_ text: String, source: String) throws -> [LabelledEmail] {
        var emails: [LabelledEmail] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            let place = "\(source) line \(number + 1)"
            let bytes = Array(line.utf8)
            let json: JSONValue
            do {
                try JSONGuard.check(bytes)
                json = try JSONValue.parse(bytes)
            } catch {
                throw Invalid(description: "\(place): not a JSON object")
            }
            func string(_ key: String) throws -> String {
                guard let value = json[key]?.stringValue else { throw Invalid(description: "\(place): no string \"\(key)\"") }
                return value
            }
            guard let category = Category(rawValue: try string("category")) else {
                throw Invalid(description: "\(place): category must be one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var urgency: Urgency?
            if let value = json["urgency"], value != .null {
                guard let text = value.stringValue, let parsed = Urgency(rawValue: text) else {
                    throw Invalid(description: "\(place): urgency must be one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                urgency = parsed
            }
            emails.append(LabelledEmail(id: try string("id"), subject: try string("subject"), body: try string("body"), category: category, urgency: urgency))
        }
        return emails
    }
}
