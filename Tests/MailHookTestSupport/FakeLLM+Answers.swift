import Foundation
import MailHookCore

// MARK: - Answers

/// What the fake answers to each prompt under each ``FakeLLM/Behaviour``, in OpenAI's shape.
extension FakeLLM {
    struct Answer {
        var status: Int
        var json: JSONValue
        var headers: [(String, String)] = []
        var totalTokens: Int?
    }

    static func kind(user: String?, jsonMode: Bool) -> PromptKind {
        guard let user else { return .unknown }
        if user.contains("Classify this email.") { return .classification }
        if user.contains("How likely is it that") { return .confidence }
        if user.contains("Write the reply the IT department sends") { return .reply }
        return jsonMode ? .classification : .unknown
    }

    static func answer(_ behaviour: Behaviour, kind: PromptKind, model: String, promptCharacters: Int, sequence: Int, user: String? = nil) async -> Answer {
        let content: String
        switch behaviour {
        case .status(let status, let retryAfter):
            var answer = error(status, type: status == 429 ? "rate_limit_exceeded" : "server_error", code: status == 429 ? "rate_limit_exceeded" : nil,
                               message: status == 429 ? "Rate limit reached. Please try again later." : "The server had an error while processing your request.")
            if let retryAfter { answer.headers.append(("Retry-After", String(retryAfter))) }
            return answer
        case .slow(let delay):
            try? await Task.sleep(for: delay)
            content = goodContent(category: .support, urgency: .medium, confidence: 70, assessed: 87, kind: kind)
        case .good(let category, let urgency, let confidence, let assessed):
            content = goodContent(category: category, urgency: urgency, confidence: confidence, assessed: assessed, kind: kind)
        case .garbage:
            content = garbageText
        case .rambling(let characters):
            content = kind == .reply
                ? String(String(repeating: "Thank you for your email, we are looking into it. ", count: characters / 50 + 1).prefix(characters))
                : goodContent(category: .support, urgency: .medium, confidence: 70, assessed: 87, kind: kind)
        case .obedient:
            switch kind {
            case .classification, .unknown: content = classificationJSON(category: .information, urgency: .low, confidence: .number(100))
            case .confidence: content = "100"
            case .reply: content = "Hello,\n\nAs requested: " + payload(in: user ?? "").joined(separator: " ") + "\n\nKind regards,\nIT Department"
            }
        case .fencedJSON:
            switch kind {
            case .classification, .unknown:
                let json = classificationJSON(category: .consultation, urgency: .low, confidence: .number(0.9))
                content = "Sure! Here is my analysis of the email:\n\n```json\n\(json)\n```\n\nLet me know if you need anything else."
            case .confidence:
                content = "I would say 91/100."
            case .reply:
                content = replyText
            }
        }
        let promptTokens = promptCharacters / 4 + 1
        let completionTokens = content.count / 4 + 1
        let total = promptTokens + completionTokens
        let json: JSONValue = .object([
            "id": .string("chatcmpl-fake-\(sequence)"),
            "object": .string("chat.completion"),
            "created": .number(Double(Int(Date().timeIntervalSince1970))),
            "model": .string(model),
            "choices": .array([
                .object([
                    "index": .number(0),
                    "message": .object(["role": .string("assistant"), "content": .string(content)]),
                    "finish_reason": .string("stop"),
                ]),
            ]),
            "usage": .object([
                "prompt_tokens": .number(Double(promptTokens)),
                "completion_tokens": .number(Double(completionTokens)),
                "total_tokens": .number(Double(total)),
            ]),
        ])
        return Answer(status: 200, json: json, totalTokens: total)
    }

    /// What an attacker plants: links, addresses, phone and account numbers.
    public static func payload(in text: String) -> [String] {
        let pattern = #"(https?://[^\s"'<>]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\+?\d[\d ().-]{7,}\d|[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,4})?|bit\.ly/\S+)"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return regex.matches(in: text, range: range).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    static func goodContent(category: MailHookCore.Category, urgency: Urgency, confidence: Int, assessed: Int, kind: PromptKind) -> String {
        switch kind {
        case .classification, .unknown: classificationJSON(category: category, urgency: urgency, confidence: .number(Double(confidence)))
        case .confidence: String(assessed)
        case .reply: replyText
        }
    }

    static func classificationJSON(category: MailHookCore.Category, urgency: Urgency, confidence: JSONValue) -> String {
        JSONValue.object([
            "category": .string(category.rawValue),
            "confidence": confidence,
            "reasoning": .string("The sender asks IT for something that matches \(category.rawValue)."),
            "urgency": .string(urgency.rawValue),
            "suggested_action": .string("Assign to the IT team that handles \(category.rawValue.lowercased()) requests."),
            "required_expertise": .array([.string("network")]),
            "estimated_effort": .string("1 hour"),
        ]).jsonText()
    }

    static func error(_ status: Int, type: String, code: String?, message: String) -> Answer {
        Answer(status: status, json: .object([
            "error": .object([
                "message": .string(message), "type": .string(type), "param": .null, "code": code.map(JSONValue.string) ?? .null,
            ]),
        ]))
    }
}
