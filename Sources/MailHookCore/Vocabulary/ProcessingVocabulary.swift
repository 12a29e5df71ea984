/// `processing_results.status` and `email_messages.processing_status`: where an email is in the
/// pipeline. Written at every stage change.
public enum ProcessingStatus: String, Vocabulary {
    case received
    case classifying
    case responding
    case escalating
    case completed
    case failed

    /// Statuses that end processing (they stamp `email_messages.processed_datetime`).
    public var isFinal: Bool { self == .completed || self == .failed }
}

/// The pipeline's stages, in order (`processing_results.error_stage`, timings, metrics labels).
public enum PipelineStage: String, Vocabulary {
    case resolve, filter, sanitise, classify, route, act, record
}

/// `processing_results.action_taken`: what the routing decision made MailHook do, and whether it
/// was done live or only recorded.
public enum ActionTaken: String, Vocabulary {
    case replySent = "reply_sent"
    case replyRecorded = "reply_recorded"
    case draftCreated = "draft_created"
    case draftRecorded = "draft_recorded"
    case flaggedForReview = "flagged_for_review"
    case reviewRecorded = "review_recorded"
    case teamsChatCreated = "teams_chat_created"
    case teamsChatRecorded = "teams_chat_recorded"
    case workflowCardPosted = "workflow_card_posted"
    case workflowCardRecorded = "workflow_card_recorded"
    case flaggedForEscalation = "flagged_for_escalation"
    case escalationRecorded = "escalation_recorded"
}

/// `performance_metrics.metric_type`.
public enum MetricType: String, Vocabulary {
    /// One pipeline stage of one email.
    case stageTime = "stage_time"
    /// One email's whole pipeline attempt.
    case processingTime = "processing_time"
}

/// `email_patterns.pattern_type`.
public enum PatternType: String, Vocabulary {
    /// Emails whose normalised subjects match.
    case subject
}
