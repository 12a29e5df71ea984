/// The `lifecycleEvent` values Graph sends. Others are stored and completed with a note, since
/// Graph may add events; they are not a `Vocabulary` because nothing stores them as a column.
public enum GraphLifecycleEvent: String, Sendable, CaseIterable {
    /// Graph will stop delivering unless the subscription is renewed (PATCH) soon.
    case reauthorizationRequired
    /// The subscription is gone; MailHook creates a new one and catches up by delta.
    case subscriptionRemoved
    /// Graph dropped notifications; a delta round fetches what they announced.
    case missed
}
