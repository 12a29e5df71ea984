/// `teams.mode`: how escalations reach people.
public enum TeamsMode: String, Vocabulary {
    /// A Graph group chat per escalation, the message posted with a delegated token.
    case graphChat = "graph-chat"
    /// An Adaptive Card POSTed to a Teams Workflows URL.
    case workflowWebhook = "workflow-webhook"
    /// No Teams: the message is flagged `MailHook: Escalated`.
    case off
}

/// `classifier.provider`.
public enum ClassifierProvider: String, Vocabulary {
    /// The offline classifier.
    case local
    /// An OpenAI-compatible (or Azure OpenAI) chat-completions endpoint.
    case openai
}

/// `classifier.structuredOutput`: how the LLM is asked for its JSON answers.
public enum StructuredOutputMode: String, Vocabulary {
    /// The richest form the endpoint accepts: `json_schema` first; a form the endpoint refuses
    /// (a 400/422/500 naming `response_format`) is not asked for again.
    case auto
    /// `{"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}` (OpenAI, Azure
    /// OpenAI, vLLM, Ollama, llama.cpp's llama-server).
    case jsonSchema = "json_schema"
    /// `{"type": "json_object", "schema": …}` (llama-cpp-python's server).
    case jsonObject = "json_object"
    /// Plain JSON mode for the classification and no format for the confidence answer.
    case none
}

/// `server.logLevel`.
public enum LogLevel: String, Vocabulary {
    case trace, debug, info, notice, warning, error, critical
}

/// The `sslmode` of a `postgres://` database URL.
public enum PostgresTLSMode: String, Vocabulary {
    case disable, prefer, require
}

/// Which database a `database.url` names.
public enum DatabaseKind: String, Vocabulary {
    case sqlite, postgres
}

/// `classifier.modelFile`: which trained model the offline classifier combines with its cues.
public enum ClassifierModelChoice: Sendable, Equatable, Encodable {
    /// `"builtin"` (the default): the model trained on the labelled fixtures that ships with MailHook.
    case builtin
    /// `"none"`: the cues alone, as before the trained model existed.
    case none
    /// Any other value: a model file written by `mailhook train`.
    case file(String)

    public init(_ text: String?) {
        switch text {
        case nil, "builtin": self = .builtin
        case "none": self = .none
        case let path?: self = .file(path)
        }
    }

    public var text: String {
        switch self {
        case .builtin: "builtin"
        case .none: "none"
        case .file(let path): path
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
