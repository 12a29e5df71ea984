import Foundation
import MailHookCore

/// One page of `GET /emails/history`, newest first.
public struct EmailHistoryPage: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public var id: String
        public var sender: String
        public var subject: String
        public var receivedAt: Date?
        public var status: ProcessingStatus?
        public var category: String?
        public var confidence: Double?
        public var urgency: String?
        /// The routing decision of the email's latest processing.
        public var decision: String?

        enum CodingKeys: String, CodingKey {
            case id, sender, subject, status, category, confidence, urgency, decision
            case receivedAt = "received_at"
        }
    }

    public var emails: [Entry]
    /// The `cursor` for the next page; nil on the last one.
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case emails
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(emails, forKey: .emails)
        try container.encode(nextCursor, forKey: .nextCursor)  // null, not absent, on the last page
    }
}
