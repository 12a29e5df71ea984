import InMemoryLogging
import Logging
import MailHookServer
import Testing

/// Outside text in a log line (a webhook's message id, Graph's or an LLM's error message) cannot
/// forge another line or steer the operator's terminal.
@Suite("Printable logs")
struct PrintableLogHandlerTests {
    struct Planted: Error, CustomStringConvertible {
        var description: String { "Graph said: bad\n2026-12-08T00:00:00Z critical : admin token rotated" }
    }

    struct Convertible: CustomStringConvertible, Sendable {
        var description: String { "tab\there" }
    }

    static let bell = "\u{07}"

    @Test("newlines, ESC, DEL, C1 and line separators in messages, metadata and errors are written as escapes")
    func escapes() throws {
        let memory = InMemoryLogHandler()
        var logger = Logger(label: "mailhook", factory: { _ in PrintableLogHandler(memory) })
        logger.logLevel = .trace
        logger[metadataKey: "mailbox"] = "it@contoso.example\r\nforged=1"
        logger.error(
            "fetched \("AAMk=\n2026-12-08T00:00:00Z info : all good")",
            error: Planted(),
            metadata: [
                "email.id": "<id\u{1B}[2J@example>",
                "nested": .dictionary(["answer": .array([.string("a\u{7F}b\u{85}c\u{2028}d" + Self.bell)])]),
                "convertible": .stringConvertible(Convertible()),
            ])
        let entry = try #require(memory.entries.first)
        #expect(entry.message.description == #"fetched AAMk=\n2026-12-08T00:00:00Z info : all good"#)
        #expect(entry.metadata["mailbox"] == .string(#""it@contoso.example\r\nforged=1""#))
        #expect(entry.metadata["email.id"] == .string(#""<id\u{1B}[2J@example>""#))
        #expect(entry.metadata["nested"] == .dictionary(["answer": .array([.string(#""a\u{7F}b\u{85}c\u{2028}d\u{7}""#)])]))
        #expect(entry.metadata["convertible"] == .string(#""tab\there""#))
        #expect(entry.metadata["error.message"] == .string(#""Graph said: bad\n2026-12-08T00:00:00Z critical : admin token rotated""#))
        #expect(entry.error == nil, "the error is printed through the escaped metadata only")
        // Nothing that ends a line or starts a control sequence is left anywhere in the entry.
        let everything = ([entry.message.description] + entry.metadata.values.map { "\($0)" }).joined()
        #expect(!everything.unicodeScalars.contains { PrintableLogHandlerTests.isControl($0) }, "\(everything)")
    }

    @Test("ordinary text, accents and emoji pass unchanged; a metadata value with a space, = or quote is one quoted token")
    func unchanged() throws {
        let memory = InMemoryLogHandler()
        let logger = Logger(label: "mailhook", factory: { _ in PrintableLogHandler(memory) })
        let text = "Drucker im 3. Stock: \"Papierstau\" — ça bloque 🖨️ (ticket #42)"
        logger.info("\(text)", metadata: [
            "subject": .string(text), "email": "helpdesk:evt_01", "reason": "low mailhook.decision=AUTO_RESPOND", "path": #"C:\x"#,
        ])
        let entry = try #require(memory.entries.first)
        #expect(entry.message.description == text)
        #expect(entry.metadata["email"] == "helpdesk:evt_01")
        #expect(entry.metadata["subject"] == .string(#""Drucker im 3. Stock: \"Papierstau\" — ça bloque 🖨️ (ticket #42)""#))
        #expect(entry.metadata["reason"] == .string(#""low mailhook.decision=AUTO_RESPOND""#))
        #expect(entry.metadata["path"] == .string(#""C:\\x""#))
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}
