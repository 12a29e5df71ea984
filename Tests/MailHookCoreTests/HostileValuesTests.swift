import Foundation
@testable import MailHookCore
import Testing

/// Values from outside that are well-formed but out of any sensible range: a date in year 300000
/// (which PostgreSQL's driver cannot convert without trapping), a stored mean that is NaN, a count
/// near Int.max. Each is read as no value or kept within range, never trapped on.
@Suite("Hostile values")
struct HostileValuesTests {
    @Test("timestamps outside 1601…9999 are no timestamps; the bounds themselves are")
    func dates() {
        for text in ["300000-01-01T00:00:00Z", "+300000-01-01T00:00:00Z", "1500-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "-5000-01-01T00:00:00Z"] {
            #expect(GraphDate.parse(text) == nil, "\(text)")
        }
        #expect(GraphDate.parse("9999-12-31T23:59:59Z") != nil)
        #expect(GraphDate.parse("1601-01-01T00:00:00Z") != nil)
        #expect(GraphDate.clamped(Date(timeIntervalSince1970: 1e15)).timeIntervalSince1970 == GraphDate.storableRange.upperBound)
        #expect(GraphDate.clamped(Date(timeIntervalSince1970: -1e15)).timeIntervalSince1970 == GraphDate.storableRange.lowerBound)
        #expect(GraphDate.clamped(Date(timeIntervalSince1970: .infinity)).timeIntervalSince1970 == GraphDate.storableRange.upperBound)
    }

    @Test("a bridged email's Date header in year 300000 counts as no date: the arrival time stands")
    func headerYear() throws {
        let arrival = Date(timeIntervalSince1970: 1_800_000_000)
        let bridge = try JSONValue.parse(Array(#"{"event":{"type":"new_message","uid":42,"subject":"Printer","sender":"bob@d.example","email_content":{"plain_body":"Jammed","headers":{"Date":"Mon, 1 Jan 300000 00:00:00 +0000"}}},"webhook_config":{}}"#.utf8))
        #expect(try EventEmailMapper.map(bridge, endpoint: "imap", fallbackId: "fb", receivedAt: arrival).receivedAt == arrival)
    }

    @Test("a pattern row with a NaN share and a count near Int.max lists without trapping")
    func patternNumbers() {
        let nan = PatternSummary(
            patternId: "p", signature: "s", description: "d", frequency: .max, firstSeen: nil, lastSeen: nil, categories: [:], sampleIds: [],
            automationPotential: .nan)
        #expect(nan.automationPotential == 0 && nan.estimatedMinutesSaved == 0)
        let huge = PatternSummary(
            patternId: "p", signature: "s", description: "d", frequency: .max, firstSeen: nil, lastSeen: nil, categories: [:], sampleIds: [],
            automationPotential: 1e308)
        #expect(huge.automationPotential == 100 && huge.estimatedMinutesSaved == .max)
        let negative = PatternSummary(
            patternId: "p", signature: "s", description: "d", frequency: .min, firstSeen: nil, lastSeen: nil, categories: [:], sampleIds: [],
            automationPotential: 50)
        #expect(negative.estimatedMinutesSaved == 0)
    }

    @Test("an escalation names a confidence that is no number 0…100 as ?")
    func escalationConfidence() {
        #expect(EscalationSummary.percent(.nan) == "?")
        #expect(EscalationSummary.percent(1e300) == "?")
        #expect(EscalationSummary.percent(72.6) == "73")
    }

    @Test("an LLM answer's unknown category, urgency or confidence text is echoed into the error only in part")
    func echoedAnswers() {
        let long = String(repeating: "A", count: 100_000)
        for answer in [
            #"{"category": "\#(long)", "urgency": "LOW", "confidence": 80}"#,
            #"{"category": "SUPPORT", "urgency": "\#(long)", "confidence": 80}"#,
            #"{"category": "SUPPORT", "urgency": "LOW", "confidence": "\#(long)"}"#,
        ] {
            do {
                _ = try LLMAnswerParser.parseClassification(answer, modelUsed: "m")
                Issue.record("expected the answer to be refused")
            } catch {
                #expect(error.description.count < 400, "\(error.description.count) characters")
            }
        }
    }

    @Test("an email id from a long internetMessageId or Message-ID header is its hash: bounded, and the same each time")
    func longIds() throws {
        let long = "<" + String(repeating: "x", count: 3_000) + "@example.com>"
        let canonical = try JSONValue.parse(Array(#"{"id":"e1","type":"email.received","message":{"internetMessageId":"\#(long)","from":{"address":"a@b.example"},"subject":"Hi"}}"#.utf8))
        let first = try EventEmailMapper.map(canonical, endpoint: "helpdesk", fallbackId: "fb", receivedAt: Date())
        let again = try EventEmailMapper.map(canonical, endpoint: "helpdesk", fallbackId: "fb", receivedAt: Date())
        #expect(first.id.hasPrefix("helpdesk:mid-") && first.id.utf8.count < 64 && first.id == again.id)
        #expect(first.internetMessageId == long, "the header itself is kept as it was")
        let bridge = try JSONValue.parse(Array(#"{"event":{"type":"new_message","subject":"Printer","sender":"bob@d.example","email_content":{"plain_body":"Jammed","headers":{"Message-ID":"\#(long)"}}},"webhook_config":{}}"#.utf8))
        #expect(try EventEmailMapper.map(bridge, endpoint: "imap", fallbackId: "fb", receivedAt: Date()).id.hasPrefix("imap:mid-"))
        let short = try JSONValue.parse(Array(#"{"type":"email.received","message":{"internetMessageId":"<a@b>","from":{"address":"a@b.example"}}}"#.utf8))
        #expect(try EventEmailMapper.map(short, endpoint: "helpdesk", fallbackId: "fb", receivedAt: Date()).id == "helpdesk:<a@b>")
    }
}
