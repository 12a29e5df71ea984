/// A JSON Schema node: the subset structured outputs accept (OpenAI's strict mode among them:
/// every property required, no others allowed, no numeric bounds).
public final class JSONSchemaNode: Encodable, Sendable {
    let type: String
    let enumValues: [String]?
    let items: JSONSchemaNode?
    let properties: [String: JSONSchemaNode]?
    let required: [String]?
    let additionalProperties: Bool?

    enum CodingKeys: String, CodingKey {
        case type, items, properties, required, additionalProperties
        case enumValues = "enum"
    }

    init(type: String, enumValues: [String]? = nil, items: JSONSchemaNode? = nil, properties: [String: JSONSchemaNode]? = nil) {
        self.type = type
        self.enumValues = enumValues
        self.items = items
        self.properties = properties
        self.required = properties.map { $0.keys.sorted() }
        self.additionalProperties = properties == nil ? nil : false
    }

    public static func string(oneOf values: [String]? = nil) -> JSONSchemaNode { JSONSchemaNode(type: "string", enumValues: values) }
    public static let number = JSONSchemaNode(type: "number")
    public static let integer = JSONSchemaNode(type: "integer")
    public static func array(of items: JSONSchemaNode) -> JSONSchemaNode { JSONSchemaNode(type: "array", items: items) }
    public static func object(_ properties: [String: JSONSchemaNode]) -> JSONSchemaNode { JSONSchemaNode(type: "object", properties: properties) }

    /// The property names an object requires (all of them), sorted.
    public var requiredProperties: [String] { required ?? [] }
}

/// The JSON an LLM call must answer with: a name (OpenAI's `json_schema.name`) and its schema.
public struct AnswerShape: Sendable {
    public let name: String
    public let schema: JSONSchemaNode
    /// Whether the call asked for plain JSON mode before structured outputs (`structuredOutput: none`).
    public let plainJSONMode: Bool
}

/// The shapes of the classifier's two answers (``PromptTemplates``), sent as structured-output
/// schemas so that even a small local model answers valid JSON.
public enum AnswerSchemas {
    /// The classification prompt's object: the same fields the prompt lists.
    public static let classification = AnswerShape(
        name: "email_classification",
        schema: .object([
            "category": .string(oneOf: Category.allCases.map(\.rawValue)),
            "confidence": .number,
            "reasoning": .string(),
            "urgency": .string(oneOf: Urgency.allCases.map(\.rawValue)),
            "suggested_action": .string(),
            "required_expertise": .array(of: .string()),
            "estimated_effort": .string(),
        ]),
        plainJSONMode: true)

    /// The confidence prompt's answer as an object (``LLMAnswerParser/parseConfidence(_:)`` reads its number).
    public static let confidence = AnswerShape(
        name: "confidence_assessment",
        schema: .object(["confidence": .integer]),
        plainJSONMode: false)
}
