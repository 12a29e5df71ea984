import Foundation
import MailHookCore
import Testing

struct IntakeParsingTests {
    @Test("validation tokens decode as form values")
    func validationTokens() throws {
        #expect(try ValidationToken.extract(rawQuery: nil) == nil)
        #expect(try ValidationToken.extract(rawQuery: "other=1") == nil)
        #expect(try ValidationToken.extract(rawQuery: "validationToken=a+b%2Bc%3Ad") == "a b+c:d")
        #expect(try ValidationToken.extract(rawQuery: "mb=ops&validationToken=caf%C3%A9") == "café")
        #expect(try ValidationToken.extract(rawQuery: "validationToken=") == "")
        #expect(throws: ValidationToken.Failure.malformedEncoding) { try ValidationToken.extract(rawQuery: "validationToken=%ZZ") }
        #expect(throws: ValidationToken.Failure.markup) { try ValidationToken.extract(rawQuery: "validationToken=%3Cb%3E") }
        #expect(throws: ValidationToken.Failure.tooLong) {
            try ValidationToken.extract(rawQuery: "validationToken=" + String(repeating: "a", count: ValidationToken.maxLength + 1))
        }
    }

    @Test("the JSON guard refuses empty, invalid UTF-8 and deep nesting, ignoring brackets in strings")
    func jsonGuard() throws {
        #expect(throws: JSONGuard.Failure.empty) { try JSONGuard.check(Array(" \n".utf8)) }
        #expect(throws: JSONGuard.Failure.invalidUTF8) { try JSONGuard.check([0x22, 0xC0, 0x22]) }
        #expect(throws: JSONGuard.Failure.tooDeep(limit: 64)) { try JSONGuard.check(Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8)) }
        try JSONGuard.check(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
        try JSONGuard.check(Array(#"{"a": "[[[[[[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#.utf8))
    }

    @Test("Graph batches: items, malformed items, lifecycle, dedupe keys")
    func graphBatch() throws {
        let json = try JSONValue.parse(Array("""
            {"value": [
              {"subscriptionId": "s1", "clientState": "c", "changeType": "created", "resource": "Users/u/Messages/m1",
               "resourceData": {"@odata.type": "#Microsoft.Graph.eventMessage", "id": "m1"}, "futureField": [1, 2]},
              {"subscriptionId": "s1", "clientState": "c", "lifecycleEvent": "reauthorizationRequired", "subscriptionExpirationDateTime": "2026-05-08T10:00:00+00:00"},
              {"subscriptionId": "s1", "clientState": "c", "lifecycleEvent": "missed"},
              {"clientState": "no subscription"},
              42
            ]}
            """.utf8))
        let batch = try GraphNotificationBatch(json: json)
        #expect(batch.items.count == 3)
        #expect(batch.malformedCount == 2)
        let received = Date(timeIntervalSince1970: 1_800_000_000)
        let change = batch.items[0].inboxItem(receivedAt: received)
        #expect(change.kind == .graphNotification)
        #expect(change.dedupeKey == "graph|s1|m1|created")
        let lifecycle = batch.items[1].inboxItem(receivedAt: received)
        #expect(lifecycle.kind == .graphLifecycle)
        #expect(lifecycle.dedupeKey == batch.items[1].inboxItem(receivedAt: received.addingTimeInterval(1)).dedupeKey, "retries collapse")
        #expect(lifecycle.dedupeKey != batch.items[1].inboxItem(receivedAt: received.addingTimeInterval(3600)).dedupeKey, "a later event is kept")
        let missed = batch.items[2].inboxItem(receivedAt: received)
        #expect(missed.dedupeKey != batch.items[2].inboxItem(receivedAt: received).dedupeKey, "every missed is kept")
        #expect(throws: GraphNotificationBatch.Failure.valueNotArray) { try GraphNotificationBatch(json: try JSONValue.parse(Array(#"{"value": 1}"#.utf8))) }
        #expect(throws: GraphNotificationBatch.Failure.valueMissing) { try GraphNotificationBatch(json: .object([:])) }
        #expect(throws: GraphNotificationBatch.Failure.notAnObject) { try GraphNotificationBatch(json: .array([])) }
    }

    @Test("email events: the three shapes and clear reasons for bad ones")
    func emailEvents() throws {
        func parse(_ text: String) throws -> EmailEvent { try EmailEvent(json: try JSONValue.parse(Array(text.utf8))) }
        let canonical = try parse(#"{"id":"e1","type":"email.received","message":{"from":{"address":"a@b.com"},"subject":"Hi","receivedAt":"2026-01-15T09:30:00.1234567+01:00"}}"#)
        #expect(canonical.shape == .canonical)
        #expect(canonical.sender == "a@b.com")
        #expect(canonical.id == "e1")
        let reference = try parse(#"{"type":"email.received","graph":{"mailbox":"it@x.com","messageId":"AAMk="}}"#)
        #expect(reference.shape == .reference(mailbox: "it@x.com", messageId: "AAMk="))
        let bridge = try parse(#"{"event":{"type":"new_message","uid":1,"subject":"S","sender":"N <n@x.com>","email_content":{"plain_body":"b"}}}"#)
        #expect(bridge.shape == .imapBridge)
        #expect(bridge.sender == "N <n@x.com>")

        let bad: [(String, String)] = [
            (#"{"type":"email.received"}"#, "message: required"),
            (#"{"type":"email.received","message":{"from":{"address":"nobody"}}}"#, "message.from.address"),
            (#"{"type":"email.received","message":{"from":{"address":"a@b.com"},"receivedAt":"yesterday"}}"#, "message.receivedAt"),
            (#"{"type":"email.received","message":{"from":{"address":"a@b.com"},"subject":7}}"#, "message.subject: expected a string, got a number"),
            (#"{"type":"email.received","graph":{"mailbox":"it@x.com"}}"#, "graph.messageId: required"),
            (#"{"message":{}}"#, "type: required"),
            (#"{"event":{"type":"deleted"}}"#, "event.type"),
            (#"{"event":{"type":"new_message","email_content":{}}}"#, "event.sender"),
            ("[]", "JSON object"),
        ]
        for (text, reason) in bad {
            #expect(throws: EmailEvent.Invalid.self, "\(text)") { try parse(text) }
            do {
                _ = try parse(text)
            } catch let invalid as EmailEvent.Invalid {
                #expect(invalid.reason.contains(reason), "\(text) → \(invalid.reason)")
            } catch {
                Issue.record("\(text): unexpected \(error)")
            }
        }
    }

    @Test("dedupe keys for third-party events")
    func eventDedupeKeys() {
        let body = Array("{}".utf8)
        #expect(EmailEvent.dedupeKey(endpoint: "h", signedWebhookId: "w1", eventId: "e1", body: body) == "event|h|wh:w1")
        #expect(EmailEvent.dedupeKey(endpoint: "h", signedWebhookId: nil, eventId: "e1", body: body) == "event|h|id:e1")
        #expect(EmailEvent.dedupeKey(endpoint: "h", signedWebhookId: "", eventId: nil, body: body)
                == "event|h|sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
    }

    @Test("filters: all present filters must match, any entry within one, subdomains count, case ignored")
    func filters() {
        let filter = EmailFilter(senderDomains: ["ZGcompanies.com"], subjectsContaining: ["Urgent", "critical"])
        #expect(filter.matches(sender: "a@zgcompanies.com", subject: "urgent: help"))
        #expect(filter.matches(sender: "Bob <b@Mail.ZGCompanies.com>", subject: "CRITICAL outage"))
        #expect(!filter.matches(sender: "a@evilzgcompanies.com", subject: "urgent"))
        #expect(!filter.matches(sender: "a@zgcompanies.com", subject: "lunch"))
        #expect(!filter.matches(sender: nil, subject: "urgent"))
        #expect(!filter.matches(sender: "a@zgcompanies.com", subject: nil))
        #expect(EmailFilter().matches(sender: nil, subject: nil))
        #expect(EmailFilter(subjectsContaining: ["x"]).matches(sender: nil, subject: "aXb"))
        #expect(EmailFilter.domain(of: "no-at-sign") == nil)
    }

    @Test("Graph timestamps: Z, offsets, 0/3/7 fraction digits")
    func dates() throws {
        let base = try #require(GraphDate.parse("2026-01-15T09:30:00Z"))
        #expect(GraphDate.parse("2026-01-15T09:30:00.000Z") == base)
        #expect(GraphDate.parse("2026-01-15T10:30:00+01:00") == base)
        let seven = try #require(GraphDate.parse("2026-01-15T09:30:00.1234567Z"))
        #expect(abs(seven.timeIntervalSince(base) - 0.1234567) < 1e-6)
        #expect(GraphDate.parse("15/01/2026") == nil)
        #expect(GraphDate.format(base) == "2026-01-15T09:30:00.000Z")
    }
}

struct JSONParserTests {
    @Test("parses RFC 8259 JSON and serialises it back with sorted keys")
    func roundTrip() throws {
        let text = #"{"b":[1,-2.5,3e2,true,false,null],"a":"x\"y\\z\n\u00e9\ud83d\udcec/","c":{}}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["a"]?.stringValue == "x\"y\\z\né📬/")
        #expect(value["b"]?.arrayValue == [.number(1), .number(-2.5), .number(300), .bool(true), .bool(false), .null])
        #expect(value.jsonText() == #"{"a":"x\"y\\z\né📬/","b":[1,-2.5,300,true,false,null],"c":{}}"#)
        #expect(try JSONValue.parse(Array(value.jsonText().utf8)) == value)
        #expect(try JSONValue.parse(Array(" \n[ ] ".utf8)) == .array([]))
    }

    @Test("rejects what is not JSON")
    func rejects() {
        for text in ["", "{", "[1,]", #"{"a" 1}"#, "01", "1.", "-", "tru", #""\x""#, #""\ud800""#, "\"a\u{01}\"", "{} {}", "NaN", #"{'a': 1}"#, "1e400", "-1e400"] {
            #expect(throws: JSONSyntaxError.self, "\(text)") { try JSONValue.parse(Array(text.utf8)) }
        }
    }
}
