import Foundation
import MailHookCore
import Testing

/// Cuts of outside text count Unicode scalars: one character can be "a" and any number of
/// combining marks, so a cut counted in characters would keep such text whole.
@Suite("Text clipping")
struct TextClipTests {
    /// "a" followed by 100,000 combining acute accents: one character, 100,001 scalars.
    static let markBomb = "a" + String(repeating: "\u{301}", count: 100_000)

    @Test("clipped(to:) keeps at most that many scalars, even of one character")
    func clipsScalars() {
        #expect(Self.markBomb.count == 1)
        #expect(Self.markBomb.clipped(to: 100).unicodeScalars.count == 100)
        #expect("plain text".clipped(to: 5) == "plain")
        #expect("short".clipped(to: 50) == "short")
        #expect("anything".clipped(to: 0) == "")
        #expect("grüße 👋".clipped(to: 7) == "grüße 👋", "precomposed letters and an emoji are one scalar each")
        #expect(Substring("substring").clipped(to: 3) == "sub")
    }

    @Test("the sanitiser's prompt budgets bound a body of combining marks")
    func sanitizerBudget() {
        let cut = Sanitizer.truncate(Self.markBomb, to: .classify)
        #expect(cut.unicodeScalars.count == 8 * Sanitizer.Budget.classify.rawValue)
        #expect(Sanitizer.truncate(Self.markBomb, toCharacters: 300).unicodeScalars.count == 2_400)
        // Whole characters up to the scalar bound: ten plain letters, then the bomb.
        let mixed = "abcdefghij" + Self.markBomb
        #expect(Sanitizer.truncate(mixed, toCharacters: 100) == "abcdefghij")
    }

    @Test("a guard's reason quotes a bounded piece of a hostile header")
    func guardReason() {
        let email = EmailMessage(
            id: "m", from: .init(address: "alice@example.com"), subject: "s", bodyText: "b", receivedAt: Date(),
            headers: ["auto-submitted": "auto-replied" + Self.markBomb])
        let downgrade = AutoReplyGuard(monitoredMailboxes: [], allowedDomains: ["example.com"]).messageRule(email)
        #expect(downgrade?.rule == .autoSubmitted)
        #expect((downgrade?.reason.unicodeScalars.count ?? .max) <= 100)
    }

    @Test("feedback's length limits count scalars: one character of combining marks is too long")
    func feedbackComment() throws {
        func feedback(comment: String) throws -> ClassificationFeedback {
            try ClassificationFeedback(json: .object([
                "email_id": .string("m1"), "correct_category": .string("SUPPORT"), "rating": .string("correct"), "comment": .string(comment),
            ]))
        }
        #expect(throws: ClassificationFeedback.Invalid.self) { try feedback(comment: Self.markBomb) }
        #expect(try feedback(comment: "fine").comment == "fine")
    }

    @Test("a duplicate JSON member's name is quoted bounded")
    func duplicateMemberName() {
        let name = "k" + String(repeating: "\u{301}", count: 50_000)
        let text = #"{"\#(name)":1,"\#(name)":2}"#
        do {
            _ = try JSONValue.parseRequest(Array(text.utf8))
            Issue.record("a duplicate member was accepted")
        } catch {
            #expect(String(describing: error).unicodeScalars.count < 300)
        }
    }
}
