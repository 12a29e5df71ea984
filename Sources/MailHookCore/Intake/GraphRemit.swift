import Foundation

/// What a Graph notification may make MailHook do: an item is stored only when it verifies
/// against its subscription's clientState (``SubscriptionDirectory``) *and* stays inside that
/// subscription's remit — this tenant, and a message of the subscription's own mailbox.
public enum GraphRemit {
    public enum Rejection: String, Sendable, Equatable {
        /// Not shaped like a Graph subscription id (a GUID).
        case malformedSubscriptionId = "malformed_subscription_id"
        /// `graph.tenantId` is a GUID but the item names no tenant.
        case tenantMissing = "tenant_missing"
        case tenantMismatch = "tenant_mismatch"
        /// A change notification whose resource is not a message of the subscription's mailbox.
        case foreignResource = "foreign_resource"
    }

    /// Checks that need no subscription: the id's shape and the tenant.
    public static func precheck(_ item: GraphNotificationBatch.Item, tenantId: String?) -> Rejection? {
        guard UUID(uuidString: item.subscriptionId) != nil else { return .malformedSubscriptionId }
        // Notifications carry the tenant's GUID; a tenant configured by domain name is not compared.
        guard let tenantId, UUID(uuidString: tenantId) != nil else { return nil }
        guard let itemTenant = item.tenantId else { return .tenantMissing }
        return itemTenant.lowercased() == tenantId.lowercased() ? nil : .tenantMismatch
    }

    /// A change notification must name a message of the subscription's mailbox (by object id or
    /// address, as stored with the subscription). Lifecycle items carry no resource.
    public static func check(_ item: GraphNotificationBatch.Item, mailboxes: Set<String>) -> Rejection? {
        guard !item.isLifecycle else { return nil }
        guard let target = item.mailboxAndMessage, mailboxes.contains(target.mailbox.lowercased()) else { return .foreignResource }
        return nil
    }
}
