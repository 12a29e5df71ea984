import MailHookCore
import MailHookStore

/// Acts on lifecycle notifications stored by the receive path.
public struct LifecycleProcessor: InboxProcessor {
    let manager: SubscriptionManager

    public init(manager: SubscriptionManager) { self.manager = manager }

    public var kinds: [InboxKind] { [.graphLifecycle] }

    public func process(_ row: InboxRow) async throws -> ProcessingOutcome {
        let item = try JSONValue.parse(Array(row.payload.utf8))
        guard let subscriptionId = item["subscriptionId"]?.stringValue, let event = item["lifecycleEvent"]?.stringValue else {
            return .finished(status: .completed, note: "not a lifecycle notification")
        }
        switch GraphLifecycleEvent(rawValue: event) {
        case .reauthorizationRequired: try await manager.handleReauthorizationRequired(subscriptionId: subscriptionId)
        case .subscriptionRemoved: try await manager.handleRemoved(subscriptionId: subscriptionId)
        case .missed: try await manager.handleMissed(subscriptionId: subscriptionId)
        case nil: return .finished(status: .completed, note: "unknown lifecycle event \(event)")
        }
        return .finished(status: .completed)
    }
}
