import Foundation

/// Why an AUTO_RESPOND decision became SUGGEST_RESPONSE (a draft for a person).
public struct Downgrade: Sendable, Equatable, Codable {
    public var rule: AutoReplyRule
    public var reason: String

    public init(_ rule: AutoReplyRule, _ reason: String) {
        self.rule = rule
        self.reason = reason
    }
}

/// The rules that keep MailHook from answering by itself (RFC 3834 §2–3 and our own).
public enum AutoReplyRule: String, Vocabulary {
    /// `Auto-Submitted` other than `no`: an auto-reply, an out-of-office, a notification.
    case autoSubmitted = "auto_submitted"
    /// `Precedence: bulk | junk | list`.
    case bulk = "bulk_precedence"
    /// `List-Id` or `List-Unsubscribe`: mailing-list mail.
    case mailingList = "mailing_list"
    /// `X-Auto-Response-Suppress` asks for no automatic answers.
    case suppressed = "auto_response_suppressed"
    /// `Return-Path: <>`: a bounce or other null-sender mail.
    case nullSender = "null_sender"
    /// MAILER-DAEMON, postmaster, noreply and the like.
    case systemSender = "system_sender"
    /// From the receiving mailbox, or another mailbox MailHook watches.
    case monitoredMailbox = "monitored_mailbox"
    /// Carries MailHook's own reply header.
    case mailHookReply = "mailhook_reply"
    /// `Reply-To` points somewhere other than the sender: the answer would go to a third party.
    case replyToElsewhere = "reply_to_elsewhere"
    /// The sender already got an automatic reply within `actions.replyWindowHours`.
    case replyWindow = "reply_window"
    /// The sender's domain is not in `routing.autoRespondDomains`.
    case senderDomain = "sender_domain"
    /// The LLM's category and the offline classifier's disagree.
    case classifierDisagreement = "classifier_disagreement"
    /// The written reply failed its check (links or numbers from nowhere, length).
    case replyContent = "reply_content"
}

/// The checks an email must pass before MailHook answers it by itself. Pure: the pipeline gives
/// it the message and what it knows; any failed check downgrades AUTO_RESPOND to a draft.
public struct AutoReplyGuard: Sendable {
    /// Lower-cased addresses of the mailboxes MailHook watches.
    public let monitoredMailboxes: Set<String>
    /// Lower-cased domains whose senders may get automatic replies; empty allows none.
    public let allowedDomains: Set<String>
    public let requireAllowedDomain: Bool
    public let requireOfflineAgreement: Bool

    public init(monitoredMailboxes: Set<String>, allowedDomains: Set<String>, requireAllowedDomain: Bool = true, requireOfflineAgreement: Bool = true) {
        self.monitoredMailboxes = Set(monitoredMailboxes.map { $0.lowercased() })
        self.allowedDomains = Set(allowedDomains.map { $0.lowercased() })
        self.requireAllowedDomain = requireAllowedDomain
        self.requireOfflineAgreement = requireOfflineAgreement
    }

    static let systemLocalParts: Set<String> = [
        "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces",
        "auto-reply", "autoreply", "notifications", "notification",
    ]

    /// The message's own signals: automatic, bulk or list mail, system senders, mail from a
    /// watched mailbox, MailHook's own replies, a reply address elsewhere.
    public func messageRule(_ email: EmailMessage) -> Downgrade? {
        let h = email.headers
        if let value = h["auto-submitted"], value.trimmingCharacters(in: .whitespaces).lowercased() != "no" {
            return Downgrade(.autoSubmitted, "Auto-Submitted: \(value.clipped(to: 60))")
        }
        if let value = h["precedence"]?.lowercased(), ["bulk", "junk", "list"].contains(where: value.contains) {
            return Downgrade(.bulk, "Precedence: \(value.clipped(to: 60))")
        }
        if h["list-id"] != nil || h["list-unsubscribe"] != nil {
            return Downgrade(.mailingList, "a mailing-list message (List-Id or List-Unsubscribe)")
        }
        if let value = h["x-auto-response-suppress"]?.lowercased(),
           ["all", "autoreply", "oof", "dr", "ndr", "rn", "nrn"].contains(where: { token in value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == token } }) {
            return Downgrade(.suppressed, "X-Auto-Response-Suppress: \(value.clipped(to: 60))")
        }
        if let value = h["return-path"], value.replacingOccurrences(of: " ", with: "") == "<>" {
            return Downgrade(.nullSender, "Return-Path: <> (a bounce or other null-sender mail)")
        }
        if h[ActionMarker.replyHeader.lowercased()] != nil {
            return Downgrade(.mailHookReply, "a reply MailHook sent")
        }
        let sender = email.from.address.lowercased()
        let local = sender.split(separator: "@").first.map(String.init) ?? sender
        if sender.isEmpty || Self.systemLocalParts.contains(local) || local.hasPrefix("noreply") || local.hasPrefix("no-reply") {
            return Downgrade(.systemSender, "sent by a system address (\(local.clipped(to: 60)))")
        }
        if monitoredMailboxes.contains(sender) || email.mailbox.map({ $0.lowercased() == sender }) == true {
            return Downgrade(.monitoredMailbox, "sent by a mailbox MailHook watches")
        }
        if let elsewhere = email.replyTo.first(where: { $0.address.lowercased() != sender }) {
            return Downgrade(.replyToElsewhere, "Reply-To names another address (\(elsewhere.address.clipped(to: 80)))")
        }
        return nil
    }

    /// The sender's domain must be one MailHook answers by itself.
    public func senderRule(_ email: EmailMessage) -> Downgrade? {
        guard requireAllowedDomain else { return nil }
        let domain = EmailFilter.domain(of: email.from.address) ?? ""
        let allowed = allowedDomains.contains { domain == $0 || domain.hasSuffix("." + $0) }
        return allowed ? nil : Downgrade(.senderDomain, "the sender's domain (\(domain.clipped(to: 80))) is not in routing.autoRespondDomains")
    }

    /// When an LLM classified, the offline classifier must see the same category, and must not
    /// think the email critical when the LLM does not: critical mail is not answered by itself.
    public func agreementRule(llm: Classification, offline: Classification?) -> Downgrade? {
        guard requireOfflineAgreement, let offline else { return nil }
        if offline.category != llm.category {
            return Downgrade(.classifierDisagreement, "the LLM said \(llm.category.rawValue), the offline classifier \(offline.category.rawValue)")
        }
        if offline.urgency == .critical, llm.urgency != .critical {
            return Downgrade(.classifierDisagreement, "the offline classifier reads it as CRITICAL, the LLM as \(llm.urgency.rawValue)")
        }
        return nil
    }
}
