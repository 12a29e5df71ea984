/// `action_records.action`: the external actions the pipeline takes.
public enum ActionKind: String, Vocabulary {
    /// `POST …/messages/{id}/reply`.
    case reply
    /// `POST …/messages/{id}/createReply`.
    case draft
    /// `PATCH …/messages/{id}`: categories and a follow-up flag.
    case flag
    /// `POST /chats`.
    case teamsChat = "teams-chat"
    /// `POST /chats/{id}/messages`.
    case teamsMessage = "teams-message"
    /// An Adaptive Card POSTed to `teams.workflowUrl`.
    case workflowCard = "workflow-card"
}

/// `actions.mode` and `action_records.mode`.
public enum ActionMode: String, Vocabulary {
    /// Record each action with its exact request; call nothing.
    case dryRun = "dry-run"
    /// Act.
    case live
}

/// `action_records.status`.
public enum ActionStatus: String, Vocabulary {
    /// Written before the call; still `started` afterwards means the outcome is unknown.
    case started
    case completed
    /// The other side refused the request: it did not happen.
    case failed
}
