import Foundation
import MailHookCore
import NIOHTTP1

/// One page of a delta round.
public struct DeltaPage: Sendable {
    public var messages: [JSONValue]
    public var removedIds: [String]
    public var nextLink: String?
    public var deltaLink: String?
}

extension GraphClient {
    /// The fields the pipeline needs from a message.
    public static let messageSelect = [
        "id", "subject", "from", "sender", "toRecipients", "ccRecipients", "replyTo", "receivedDateTime", "conversationId",
        "internetMessageId", "importance", "hasAttachments", "isRead", "isDraft", "categories", "flag", "parentFolderId", "body", "bodyPreview",
        "internetMessageHeaders",
    ].joined(separator: ",")

    /// The user's object id (GUID) for a mailbox given as UPN or id: notifications name mailboxes by object id.
    public func userId(mailbox: String) async throws -> String {
        let response = try await send(.GET, "/users/\(Self.escape(mailbox))?$select=id", mailbox: mailbox)
        guard let id = response.json?["id"]?.stringValue else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the user has no id")
        }
        return id
    }

    /// The message as JSON, or nil when it is gone (deleted or moved: 404). A success whose body is
    /// not a JSON object is a decoding error, not a message that is gone: the email is tried again
    /// (and dead-lettered if it keeps coming back so), never dropped.
    public func message(mailbox: String, id: String) async throws -> JSONValue? {
        let response: Response
        do {
            response = try await send(
                .GET, "/users/\(Self.escape(mailbox))/messages/\(Self.escape(id))?$select=\(Self.messageSelect)", mailbox: mailbox,
                prefer: [#"outlook.body-content-type="text""#, Self.immutableIds])
        } catch let error as GraphError where error.isNotFound {
            return nil
        }
        guard let json = response.json, json.objectValue != nil else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the message could not be read")
        }
        return json
    }

    /// The first request of a delta round for a folder; later pages and rounds use the links Graph returns, verbatim.
    public func deltaStart(mailbox: String, folder: String, receivedSince: Date?) -> String {
        var path = "/users/\(Self.escape(mailbox))/mailFolders('\(Self.escape(folder))')/messages/delta?$select=id,receivedDateTime,subject,from"
        if let receivedSince {
            path += "&$filter=receivedDateTime%20ge%20\(GraphDate.format(receivedSince))"
        }
        return path
    }

    public func delta(_ link: String, mailbox: String, pageSize: Int = 50) async throws -> DeltaPage {
        let response = try await send(.GET, link, mailbox: mailbox, prefer: ["odata.maxpagesize=\(pageSize)", Self.immutableIds])
        guard let json = response.json else {
            throw GraphError(kind: .decoding, status: response.status, code: "unexpected_response", message: "the delta page could not be read")
        }
        var messages: [JSONValue] = []
        var removed: [String] = []
        for item in json["value"]?.arrayValue ?? [] {
            guard let id = item["id"]?.stringValue else { continue }
            if item["@removed"] != nil { removed.append(id) } else { messages.append(item) }
        }
        return DeltaPage(messages: messages, removedIds: removed, nextLink: json["@odata.nextLink"]?.stringValue,
                         deltaLink: json["@odata.deltaLink"]?.stringValue)
    }
}
