import Foundation
import MailHookCore

extension FakeGraph {
    /// A mail message as the test puts it into a mailbox.
    public struct Message: Sendable, Equatable {
        public var subject: String
        public var fromAddress: String
        public var fromName: String
        public var toAddresses: [String]
        public var ccAddresses: [String]
        public var body: String
        public var receivedDateTime: Date
        public var internetMessageId: String
        public var conversationId: String
        public var importance: String
        public var isRead: Bool
        public var categories: [String]
        public var hasAttachments: Bool
        public var flagStatus: String
        public var isDraft: Bool
        /// Internet message headers (Auto-Submitted, List-Id…), returned when `$select`ed.
        public var headers: [String: String]
        public var replyTo: [String]

        public init(
            subject: String = "Test message",
            fromAddress: String = "sender@fabrikam.example",
            fromName: String = "Sender",
            toAddresses: [String] = ["mailbox@contoso.example"],
            ccAddresses: [String] = [],
            body: String = "Hello from the fake Graph.",
            receivedDateTime: Date = Date(),
            internetMessageId: String? = nil,
            conversationId: String? = nil,
            importance: String = "normal",
            isRead: Bool = false,
            categories: [String] = [],
            hasAttachments: Bool = false,
            flagStatus: String = "notFlagged",
            isDraft: Bool = false,
            headers: [String: String] = [:],
            replyTo: [String] = []
        ) {
            self.subject = subject
            self.fromAddress = fromAddress
            self.fromName = fromName
            self.toAddresses = toAddresses
            self.ccAddresses = ccAddresses
            self.body = body
            self.receivedDateTime = receivedDateTime
            self.internetMessageId = internetMessageId ?? "<\(UUID().uuidString.lowercased())@fabrikam.example>"
            self.conversationId = conversationId ?? GraphIDs.conversation()
            self.importance = importance
            self.isRead = isRead
            self.categories = categories
            self.hasAttachments = hasAttachments
            self.flagStatus = flagStatus
            self.isDraft = isDraft
            self.headers = headers
            self.replyTo = replyTo
        }
    }

    /// A live subscription as Graph holds it (including the clientState that `GET` hides).
    public struct Subscription: Sendable, Equatable {
        public let id: String
        public var resource: String
        public var changeType: String
        public var notificationUrl: String
        public var lifecycleNotificationUrl: String?
        public var expirationDateTime: Date
        public var clientState: String?
        public var latestSupportedTlsVersion: String
        /// Whether the create request carried `Prefer: IdType="ImmutableId"`.
        public var immutableIds: Bool
        /// The object id of the mailbox named in `resource`, when it names one.
        public var mailboxId: String?
        public let createdAt: Date
    }

    /// One request the fake received.
    public struct Call: Sendable {
        public let method: String
        /// Percent-decoded path, e.g. `/v1.0/users/alice@contoso.example/mailFolders('Inbox')/messages/delta`.
        public let path: String
        /// Raw query string without the `?`.
        public let query: String
        /// Lowercased names; `authorization` is left out.
        public let headers: [String: String]
        public let body: String
        public let at: Date
        /// 0 while the request is still being answered (or held, see ``FakeGraph/holdActions(_:)``).
        public internal(set) var status: Int
        let sequence: Int
        /// Whether the bearer token was a delegated one (refresh-token grant) rather than app-only.
        public let delegated: Bool

        public var json: JSONValue? { try? JSONValue.parse(Array(body.utf8)) }
    }

    /// One validation request the fake sent while creating or patching a subscription.
    public struct Validation: Sendable {
        public enum Target: String, Sendable { case notification, lifecycle }
        public let target: Target
        /// The full URL called, with the encoded `validationToken`.
        public let url: String
        public let token: String
        /// nil when no answer came.
        public let status: Int?
        public let contentType: String?
        public let body: String?
        public let succeeded: Bool
        public let timedOut: Bool
        public let at: Date
    }

    /// One change or lifecycle notification the fake posted.
    public struct Delivery: Sendable {
        public let url: String
        public let body: String
        /// nil when the receiver did not answer.
        public let status: Int?
        public let at: Date
    }

    /// A write the client made: reply, replyAll, createReply, createReplyAll, update, send, sendMail, move,
    /// delete, createChat, chatMessage, workflowPost.
    public struct Action: Sendable {
        public let kind: String
        /// Mailbox object id for mail actions.
        public let mailbox: String?
        /// The message or chat acted on.
        public let targetId: String?
        /// The request body as sent.
        public let body: String
        /// The id of what the action created (draft, sent copy, moved message, chat, chat message).
        public let resultId: String?
        public let at: Date
        /// Whether it was made with a delegated token (refresh-token grant) rather than an app-only one.
        public let delegated: Bool
        /// The call that made it, so a held request can be told apart.
        let sequence: Int

        public var json: JSONValue? { try? JSONValue.parse(Array(body.utf8)) }
    }
}

extension FakeGraph {
    /// A Teams chat created through `POST /chats`.
    public struct Chat: Sendable {
        public let id: String
        public let topic: String?
        /// `oneOnOne` or `group`.
        public let chatType: String
        /// The user ids or UPNs named in the members' `user@odata.bind` URLs, as sent.
        public let members: [String]
        public let createdAt: Date
        public internal(set) var lastUpdatedAt: Date
        /// Messages posted into it, oldest first.
        public internal(set) var messages: [ChatMessage] = []
    }

    /// A message posted with `POST /chats/{id}/messages`.
    public struct ChatMessage: Sendable {
        public let id: String
        public let chatId: String
        public let contentType: String
        public let content: String
        /// Object id of the delegated user who posted it; nil when an app-only token did (import-style).
        public let fromUserId: String?
        public let createdAt: Date
        public var delegated: Bool { fromUserId != nil }
    }

    /// One request to a Teams Workflows webhook URL (``FakeGraph/workflowURL(_:)``), failed ones included.
    public struct WorkflowPost: Sendable {
        /// The `{name}` in `/workflows/{name}`.
        public let name: String
        /// Raw query string (where real URLs carry `sig=…`).
        public let query: String
        public let body: String
        public let status: Int
        public let at: Date

        public var json: JSONValue? { try? JSONValue.parse(Array(body.utf8)) }
    }
}

public struct FakeGraphError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
