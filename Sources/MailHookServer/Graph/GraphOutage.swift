import MailHookGraph

/// Graph (or its token endpoint) unavailable or throttling: an item that needed it waits
/// instead of spending attempts, so an outage of minutes dead-letters nothing.
extension GraphError: OutageFailure {
    public var outageRetryAfter: Double? {
        switch kind {
        case .circuitOpen, .transport: return 15
        case .http where status == 429 || (status ?? 0) >= 500: return 5
        case .authentication where (status ?? 0) >= 500: return 15
        case .http, .authentication, .decoding: return nil
        }
    }
}
