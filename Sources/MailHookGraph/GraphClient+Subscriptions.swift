import Foundation
import MailHookCore
import NIOHTTP1

/// A Graph subscription as Graph reports it.
public struct GraphSubscription: Sendable, Equatable {
    public var id: String
    public var resource: String
    public var changeType: String
    public var notificationUrl: String
    public var lifecycleNotificationUrl: String?
    public var expiration: Date?
    public var clientState: String?

    init?(_ json: JSONValue) {
        guard let id = json["id"]?.stringValue, let resource = json["resource"]?.stringValue else { return nil }
        self.id = id
        self.resource = resource
        changeType = json["changeType"]?.stringValue ?? ""
        notificationUrl = json["notificationUrl"]?.stringValue ?? ""
        lifecycleNotificationUrl = json["lifecycleNotificationUrl"]?.stringValue
        expiration = json["expirationDateTime"]?.stringValue.flatMap(GraphDate.parse)
        clientState = json["clientState"]?.stringValue
    }
}

extension GraphClient {
    static let immutableIds = #"IdType="ImmutableId""#

    public func createSubscription(
        resource: String, changeType: String = "created", notificationUrl: String, lifecycleNotificationUrl: String,
        expiration: Date, clientState: String
    ) async throws -> GraphSubscription {
        let body: JSONValue = .object([
            "changeType": .string(changeType),
            "notificationUrl": .string(notificationUrl),
            "lifecycleNotificationUrl": .string(lifecycleNotificationUrl),
            "resource": .string(resource),
            "expirationDateTime": .string(GraphDate.format(expiration)),
            "clientState": .string(clientState),
            "latestSupportedTlsVersion": .string("v1_2"),
        ])
        let response = try await send(.POST, "/subscriptions", body: body, prefer: [Self.immutableIds])
        guard let json = response.json, let subscription = GraphSubscription(json) else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the created subscription could not be read")
        }
        return subscription
    }

    /// Every subscription this app created (paged). Graph returns clientState as null here.
    /// At most `maxPages` pages, none twice: the links come from the answers.
    public func listSubscriptions(maxPages: Int = 100) async throws -> [GraphSubscription] {
        var all: [GraphSubscription] = []
        var next: String? = "/subscriptions"
        var followed: Set<String> = []
        while let path = next {
            guard followed.count < maxPages, followed.insert(path).inserted else {
                throw GraphError(kind: .decoding, code: "subscription_pages", message: "the subscription list's links repeat or run past \(maxPages) pages")
            }
            let json = try await send(.GET, path).json
            all += (json?["value"]?.arrayValue ?? []).compactMap(GraphSubscription.init)
            next = json?["@odata.nextLink"]?.stringValue
        }
        return all
    }

    /// Renews (and so reauthorizes) a subscription.
    public func renewSubscription(id: String, expiration: Date) async throws -> GraphSubscription {
        let response = try await send(.PATCH, "/subscriptions/\(Self.escape(id))", body: .object(["expirationDateTime": .string(GraphDate.format(expiration))]))
        guard let json = response.json, let subscription = GraphSubscription(json) else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the renewed subscription could not be read")
        }
        return subscription
    }

    public func reauthorizeSubscription(id: String) async throws {
        _ = try await send(.POST, "/subscriptions/\(Self.escape(id))/reauthorize")
    }

    /// Deletes a subscription; one that is already gone is not an error.
    public func deleteSubscription(id: String) async throws {
        do {
            _ = try await send(.DELETE, "/subscriptions/\(Self.escape(id))")
        } catch let error as GraphError where error.isNotFound {
            return
        }
    }

    /// One path segment: `/`, `?`, `#` and `%` encoded, and a segment of only dots (`.`, `..`)
    /// encoded whole, so an id from a Graph answer cannot climb to another path.
    static func escape(_ segment: String) -> String {
        if !segment.isEmpty, segment.allSatisfy({ $0 == "." }) {
            return String(repeating: "%2E", count: segment.count)
        }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }
}
