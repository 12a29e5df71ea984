/// What the receive path did with one notification or event (`mailhook_notifications_total`).
public enum NotificationOutcome: String, Vocabulary {
    case accepted, duplicate, filtered, rejected
}

/// The receive path's own metric sources; integration endpoints report under their names.
public enum GraphSource: String, Vocabulary {
    /// `POST /webhooks/graph` change notifications.
    case graph
    /// Lifecycle notifications (on either Graph URL).
    case lifecycle = "graph-lifecycle"
}
