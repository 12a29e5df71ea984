/// `subscriptions.status`.
public enum SubscriptionStatus: String, Vocabulary {
    /// Stored before the create call (no Graph id yet), so racing notifications verify.
    case pending
    case active
    /// Replaced, or removed by Graph (`subscriptionRemoved`).
    case removed
    /// Graph no longer knew it at renewal.
    case expired
    /// The create call failed.
    case failed
    /// Deleted by `mailhook subscriptions delete`.
    case deleted
}
