/// `inbox.status`: where one accepted item is in its life.
public enum InboxStatus: String, Vocabulary {
    /// Waiting to be claimed (new, or due again after a failed attempt).
    case pending
    /// Claimed by a worker whose lease has not expired.
    case processing
    /// Processed to the end.
    case completed
    /// The message it names no longer exists (deleted or moved before it was fetched).
    case gone
    /// Excluded by `graph.filters` after the fetch.
    case filtered
    /// Not inbound mail: a draft, or mail the receiving mailbox sent itself.
    case ignored
    /// Dead-lettered after `pipeline.maxAttempts`, or refused as unprocessable.
    case dead

    /// Statuses that still need work (the inbox depth).
    public static let open: [InboxStatus] = [.pending, .processing]
}

/// `inbox.source`: which door an item came in through.
public enum InboxSource: String, Vocabulary {
    /// A Graph change or lifecycle notification.
    case graph
    /// A third-party event on a `webhook_endpoints[]` URL.
    case integration
    /// A message found by a delta round.
    case delta
}

/// `inbox.kind`: what the payload is, which decides who processes it.
public enum InboxKind: String, Vocabulary {
    case graphNotification = "graph.notification"
    case graphLifecycle = "graph.lifecycle"
    case canonicalEvent = "event.canonical"
    case referenceEvent = "event.reference"
    case imapBridgeEvent = "event.imap-bridge"
    case deltaMessage = "graph.delta"
}
