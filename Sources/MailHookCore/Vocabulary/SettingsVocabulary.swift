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
