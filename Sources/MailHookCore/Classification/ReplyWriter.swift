/// Writes the body of a reply to an email (sent for AUTO_RESPOND, drafted for SUGGEST_RESPONSE).
/// Never fails: an LLM writer falls back to a template.
public protocol ReplyWriter: Sendable {
    func reply(to input: ClassifierInput, classification: Classification) async -> String
}

/// Fixed replies per category: short, polite, promising nothing IT has not decided yet.
public struct TemplateReplyWriter: ReplyWriter {
    public var signature: String

    public init(signature: String = "IT Department") {
        self.signature = signature
    }

    public func reply(to input: ClassifierInput, classification: Classification) async -> String {
        text(category: classification.category, urgency: classification.urgency)
    }

    public func text(category: Category, urgency: Urgency) -> String {
        var lines = ["Hello,", "", Self.message(for: category)]
        if urgency >= .high {
            lines.append("We have noted that this is time-sensitive.")
        }
        lines += ["", "Kind regards,", signature]
        return lines.joined(separator: "\n")
    }

    static func message(for category: Category) -> String {
        switch category {
        case .purchasing:
            "Thank you for your purchasing request. IT has received it and will review the details. We will contact you if we need more information or an approval."
        case .support:
            "Thank you for letting us know. IT has received your request and will look into it. If you have more details, such as error messages or screenshots, please reply to this email."
        case .information:
            "Thank you for your question. IT has received it and will reply with the information you asked for."
        case .escalation:
            "Thank you for raising this. It has been passed to IT management for review."
        case .consultation:
            "Thank you for asking for IT's input. We will review your request and contact you to discuss it."
        }
    }
}
