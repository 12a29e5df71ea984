import Foundation
import MailHookCore
import Testing

@Suite("Pipeline core")
struct PipelineCoreTests {
    @Test("subject signatures: prefixes dropped, numbers, ids, dates and addresses become placeholders", arguments: [
        ("RE: Password reset for user 4711", "password reset for user <num>"),
        ("Fwd: FW: Invoice INV-2026-0042 overdue", "invoice <id> overdue"),
        ("Outage on 2026-01-15 (ticket #A-9931)", "outage on <date> (ticket <id>)"),
        ("Access for bob@contoso.example", "access for <email>"),
        ("Build 3f9a2c1d4e failed", "build <id> failed"),
        ("   ", "<empty>"),
        ("VPN drops every hour (ticket 4711)", "vpn drops every hour (ticket <num>)"),
    ])
    func signatures(subject: String, expected: String) {
        #expect(SubjectSignature.signature(of: subject) == expected)
    }

    @Test("recurring subjects share a signature and a pattern id; different ones do not")
    func patternIds() {
        let a = SubjectSignature.signature(of: "Password reset for user 17")
        let b = SubjectSignature.signature(of: "RE: password reset for user 9921")
        let c = SubjectSignature.signature(of: "New laptop for user 17")
        #expect(a == b)
        #expect(SubjectSignature.patternId(of: a) == SubjectSignature.patternId(of: b))
        #expect(SubjectSignature.patternId(of: a) != SubjectSignature.patternId(of: c))
        #expect(SubjectSignature.patternId(of: a).count == 4 + 16)
    }

    static let planner = EscalationPlanner(
        expertiseMapping: ["network": ["net1@contoso.example", "net2@contoso.example"], "security": ["sec@contoso.example"], "ESCALATION": ["manager@contoso.example"]],
        userExpertise: ["ana@contoso.example": ["network", "security"], "bo@contoso.example": ["database"]],
        fallbackMember: "lead@contoso.example")

    @Test("escalation members: people matching more skills first, the category's people, deterministic")
    func members() {
        let members = Self.planner.members(category: .support, requiredExpertise: ["network", "security"])
        #expect(members.first == "ana@contoso.example", "ana matches both skills")
        #expect(Set(members) == ["ana@contoso.example", "net1@contoso.example", "net2@contoso.example", "sec@contoso.example"])
        #expect(members == Self.planner.members(category: .support, requiredExpertise: ["network", "security"]))
        let escalation = Self.planner.members(category: .escalation, requiredExpertise: [])
        #expect(escalation == ["manager@contoso.example", "lead@contoso.example"], "the fallback member makes two")
    }

    @Test("escalation members: nobody matches → the fallback member; never more than the maximum")
    func fallbackAndCap() {
        #expect(Self.planner.members(category: .purchasing, requiredExpertise: ["printers"]) == ["lead@contoso.example"])
        let many = EscalationPlanner(expertiseMapping: ["network": (1...20).map { "p\($0)@contoso.example" }], userExpertise: [:], fallbackMember: nil)
        #expect(many.members(category: .support, requiredExpertise: ["network"]).count == EscalationPlanner.maxMembers)
    }

    @Test("chat topic: IT-{CATEGORY}-{yyyy-MM-dd}-{8 hex of the subject hash}")
    func topic() throws {
        let date = try #require(GraphDate.parse("2026-01-15T23:30:00Z"))
        let topic = EscalationPlanner.topic(category: .escalation, receivedAt: date, subject: "Server room flooding")
        #expect(topic.hasPrefix("IT-ESCALATION-2026-01-15-"))
        let hash = topic.dropFirst("IT-ESCALATION-2026-01-15-".count)
        #expect(hash.count == 8 && hash.allSatisfy(\.isHexDigit))
        #expect(topic == EscalationPlanner.topic(category: .escalation, receivedAt: date, subject: "Server room flooding"))
        #expect(topic != EscalationPlanner.topic(category: .escalation, receivedAt: date, subject: "Server room flooding!"))
    }

    @Test("the Adaptive Card message carries the card and escapes nothing it should not")
    func adaptiveCard() {
        let summary = EscalationSummary(subject: "Disk <full>", sender: "a@b.example", category: .support, urgency: .critical, confidence: 72.4,
                                        reason: "urgency CRITICAL", suggestedAction: "call", excerpt: "body", link: nil)
        let message = summary.adaptiveCardMessage(topic: "IT-SUPPORT-x", members: ["a", "b"])
        #expect(message["type"]?.stringValue == "message")
        let card = message["attachments"]?.arrayValue?.first?["content"]
        #expect(card?["type"]?.stringValue == "AdaptiveCard")
        let title = card?["body"]?.arrayValue?.first?["inlines"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
        #expect(title == ["Escalated: ", "Disk <full>"])
        #expect(summary.html.contains("Disk &lt;full&gt;"))
    }

    @Test("text from the email or a model reaches the Adaptive Card only as plain text runs, never as Markdown")
    func adaptiveCardMarkdown() throws {
        let planted = "[Reset your password](https://phish.example/login) **now**"
        let summary = EscalationSummary(subject: planted, sender: "[IT](https://phish.example/s)", category: .escalation, urgency: .high,
                                        confidence: 80, reason: "escalation", suggestedAction: "- open https://phish.example/a",
                                        excerpt: "_see_ [here](https://phish.example/e)", link: nil)
        let card = try #require(summary.adaptiveCardMessage(topic: "IT-ESCALATION-x", members: ["oncall@c.example"])["attachments"]?
            .arrayValue?.first?["content"])
        // Everything Teams reads as Markdown: TextBlocks' text and facts' titles and values.
        var markdown: [String] = []
        var runs: [String] = []
        func walk(_ value: JSONValue) {
            if let object = value.objectValue {
                switch object["type"]?.stringValue {
                case "TextBlock": markdown.append(object["text"]?.stringValue ?? "")
                case "TextRun": runs.append(object["text"]?.stringValue ?? "")
                default: break
                }
                if let facts = object["facts"]?.arrayValue {
                    markdown += facts.flatMap { [$0["title"]?.stringValue ?? "", $0["value"]?.stringValue ?? ""] }
                }
                object.values.forEach(walk)
            } else if let array = value.arrayValue {
                array.forEach(walk)
            }
        }
        walk(card)
        #expect(!markdown.isEmpty, "the facts are still there")
        #expect(markdown.allSatisfy { !$0.contains("phish.example") }, "\(markdown)")
        for text in [planted, "[IT](https://phish.example/s)", "- open https://phish.example/a", "_see_ [here](https://phish.example/e)"] {
            #expect(runs.contains(text), "\(text) is shown, as plain text")
        }
    }

    @Test("canonical and IMAP-bridge events become emails")
    func eventMapping() throws {
        let canonical = try JSONValue.parse(Array(#"{"id":"e1","type":"email.received","message":{"id":"m1","from":{"address":"a@b.example","name":"A"},"to":[{"address":"it@c.example"}],"subject":"Hi","bodyHtml":"<p>Hello &amp; bye</p>","receivedAt":"2026-01-15T09:30:00Z","conversationId":"c1","attachments":[{"name":"x.pdf"}]}}"#.utf8))
        let email = try EventEmailMapper.map(canonical, endpoint: "helpdesk", fallbackId: "fb", receivedAt: Date())
        #expect(email.id == "helpdesk:m1", "namespaced by the endpoint")
        #expect(email.from == .init(address: "a@b.example", name: "A"))
        #expect(email.bodyText == "Hello & bye")
        #expect(email.conversationId == "c1")
        #expect(email.hasAttachments)
        #expect(email.receivedAt == GraphDate.parse("2026-01-15T09:30:00Z"))

        let bridge = try JSONValue.parse(Array(#"{"event":{"type":"new_message","uid":42,"subject":"Printer","sender":"Bob <bob@d.example>","email_content":{"plain_body":"Jammed","headers":{"Message-ID":"<x@d>","Date":"Thu, 15 Jan 2026 09:30:00 +0000"}}},"webhook_config":{}}"#.utf8))
        let bridged = try EventEmailMapper.map(bridge, endpoint: "imap", fallbackId: "fb", receivedAt: Date())
        #expect(bridged.id == "imap:imap:42")
        #expect(bridged.from == .init(address: "bob@d.example", name: "Bob"))
        #expect(bridged.bodyText == "Jammed")
        #expect(bridged.internetMessageId == "<x@d>")
        #expect(bridged.receivedAt == GraphDate.parse("2026-01-15T09:30:00Z"))

        let bare = try JSONValue.parse(Array(#"{"type":"email.received","message":{"from":{"address":"a@b.example"},"subject":"s"}}"#.utf8))
        #expect(try EventEmailMapper.map(bare, endpoint: nil, fallbackId: EventEmailMapper.fallbackId(dedupeKey: "k"), receivedAt: Date()).id.hasPrefix("evt-"))
    }

    @Test("an LLM's automatic reply needs the offline classifier's category, and not its CRITICAL")
    func offlineAgreement() {
        func classification(_ category: MailHookCore.Category, _ urgency: Urgency) -> Classification {
            Classification(
                category: category, confidence: 90, reasoning: "", urgency: urgency, suggestedAction: "", requiredExpertise: [],
                estimatedEffort: "", modelUsed: "llm", promptVersion: "p")
        }
        let guardRule = AutoReplyGuard(monitoredMailboxes: [], allowedDomains: ["example.com"])
        let llm = classification(.support, .high)
        #expect(guardRule.agreementRule(llm: llm, offline: classification(.support, .medium)) == nil)
        #expect(guardRule.agreementRule(llm: llm, offline: nil) == nil)
        #expect(guardRule.agreementRule(llm: llm, offline: classification(.information, .high))?.rule == .classifierDisagreement)
        let critical = guardRule.agreementRule(llm: llm, offline: classification(.support, .critical))
        #expect(critical?.rule == .classifierDisagreement)
        #expect(critical?.reason == "the offline classifier reads it as CRITICAL, the LLM as HIGH")
        #expect(guardRule.agreementRule(llm: classification(.support, .critical), offline: classification(.support, .critical)) == nil)
        let off = AutoReplyGuard(monitoredMailboxes: [], allowedDomains: [], requireOfflineAgreement: false)
        #expect(off.agreementRule(llm: llm, offline: classification(.information, .critical)) == nil)
    }
}
