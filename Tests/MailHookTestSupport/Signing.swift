import Foundation
import MailHookCore

/// Builds request headers the way each kind of sender signs them.
public enum Signing {
    public static func hmacHeader(_ body: String, secret: String, header: String = "X-Signature") -> (String, String) {
        (header, WebhookSignature.hmacSHA256Hex(body: Array(body.utf8), secret: Secret(secret)))
    }

    public static func standardWebhooksHeaders(id: String, timestamp: Int, body: String, secret: String) -> [(String, String)] {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SecretBytes(Array(Data(base64Encoded: encoded)!))
        let signature = WebhookSignature.standardWebhooksSignature(id: id, timestamp: String(timestamp), body: Array(body.utf8), key: key)
        return [("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)]
    }

    /// Form-encodes a value as Graph does in `validationToken`: space as `+`, everything else
    /// outside unreserved characters as UTF-8 `%XX`.
    public static func formEncode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "):
                out.append("+")
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}

/// Sample payloads.
public enum Samples {
    /// The mailbox object id and tenant the sample notifications name.
    public static let mailboxId = "0f0e0d0c-0000-4000-8000-0000000000aa"
    public static let tenantId = "c0ffee00-0000-4000-8000-0000000000bb"

    /// A subscription id (GUID-shaped, as Graph's are) numbered `n`.
    public static func subscription(_ n: Int) -> String {
        "5ab5c0de-0000-4000-8000-" + String(String(n, radix: 16).suffix(12)).leftPadded(to: 12)
    }

    /// A change notification with a chosen resource and tenant (nil leaves the tenant out).
    public static func graphItem(subscriptionId: String, clientState: String, resource: String, tenantId: String? = Samples.tenantId) -> String {
        let tenant = tenantId.map { #","tenantId":"\#($0)""# } ?? ""
        return #"{"subscriptionId":"\#(subscriptionId)","clientState":"\#(clientState)","changeType":"created","resource":"\#(resource)"\#(tenant)}"#
    }

    public static func canonicalEvent(id: String = "evt_01", from: String = "alice@zgcompanies.com", subject: String = "Printer on floor 3 is jammed") -> String {
        """
        {"id":"\(id)","type":"email.received","message":{"id":"msg-\(id)","internetMessageId":"<\(id)@example.com>","from":{"address":"\(from)","name":"Alice"},"to":[{"address":"it@zgcompanies.com"}],"subject":"\(subject)","bodyText":"Hello IT, the printer is jammed again.","receivedAt":"2026-01-15T09:30:00Z","importance":"normal","attachments":[]}}
        """
    }

    public static func graphItem(subscriptionId: String, clientState: String, messageId: String, changeType: String = "created") -> String {
        """
        {"subscriptionId":"\(subscriptionId)","subscriptionExpirationDateTime":"2026-12-01T10:00:00+00:00","clientState":"\(clientState)","changeType":"\(changeType)","resource":"Users/0f0e0d0c-0000-4000-8000-0000000000aa/Messages/\(messageId)","tenantId":"c0ffee00-0000-4000-8000-0000000000bb","resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/0f0e0d0c-0000-4000-8000-0000000000aa/Messages/\(messageId)","@odata.etag":"W/\\"CQAAABYAAAExampleEtag\\"","id":"\(messageId)"}}
        """
    }

    public static func lifecycleItem(subscriptionId: String, clientState: String, event: String) -> String {
        """
        {"subscriptionId":"\(subscriptionId)","subscriptionExpirationDateTime":"2026-12-01T10:00:00+00:00","tenantId":"c0ffee00-0000-4000-8000-0000000000bb","clientState":"\(clientState)","lifecycleEvent":"\(event)"}
        """
    }

    public static func batch(_ items: [String]) -> String {
        #"{"value":["# + items.joined(separator: ",") + "]}"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
