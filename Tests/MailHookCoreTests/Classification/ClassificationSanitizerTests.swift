import MailHookCore
import Testing

extension ClassificationTests {
    /// Personal data is replaced before text leaves for an LLM; lookalikes that are not personal data stay.
    struct SanitizerTests {
        struct Case: Sendable, CustomTestStringConvertible {
            var input: String
            var expected: String
            var counts: [Sanitizer.Kind: Int]
            var note: String
            var testDescription: String { note }
        }

        static let cases: [Case] = [
            // SSN
            Case(input: "My SSN is 123-45-6789.", expected: "My SSN is [SSN].", counts: [.ssn: 1], note: "dashed SSN"),
            Case(input: "ref 987-65-4321 attached", expected: "ref [SSN] attached", counts: [.ssn: 1], note: "dashed SSN without a label"),
            Case(input: "SSN: 123456789", expected: "SSN: [SSN]", counts: [.ssn: 1], note: "nine digits labelled SSN"),
            Case(input: "social security number 123 45 6789 thanks", expected: "social security number [SSN] thanks", counts: [.ssn: 1], note: "spaced, labelled"),
            Case(input: "order 123456789 shipped", expected: "order 123456789 shipped", counts: [:], note: "unlabelled nine digits stay"),
            Case(input: "classnotes 123456789", expected: "classnotes 123456789", counts: [:], note: "'ssn' inside a word is no label"),
            Case(input: "call 303-555-0142", expected: "call 303-555-0142", counts: [:], note: "phone number stays"),
            Case(input: "part 1123-45-6789", expected: "part 1123-45-6789", counts: [:], note: "longer dashed number stays"),
            // Cards
            Case(input: "card 4111 1111 1111 1111 exp 12/27", expected: "card [CARD] exp 12/27", counts: [.card: 1], note: "spaced Visa"),
            Case(input: "4111-1111-1111-1111", expected: "[CARD]", counts: [.card: 1], note: "dashed Visa"),
            Case(input: "pay with 5555555555554444.", expected: "pay with [CARD].", counts: [.card: 1], note: "plain Mastercard"),
            Case(input: "amex 378282246310005", expected: "amex [CARD]", counts: [.card: 1], note: "15-digit Amex"),
            Case(input: "4111 1111 1111 1111 123", expected: "[CARD] 123", counts: [.card: 1], note: "card followed by its code"),
            Case(input: "order number 1234567812345678 shipped", expected: "order number 1234567812345678 shipped", counts: [:], note: "16 digits failing Luhn stay"),
            Case(input: "tracking 20240517000123456789", expected: "tracking 20240517000123456789", counts: [:], note: "20 digits are no card"),
            Case(input: "id 4111111111111111abc", expected: "id 4111111111111111abc", counts: [:], note: "digits glued to letters stay"),
            // IPv4
            Case(input: "server 192.168.1.20 is down", expected: "server [IP] is down", counts: [.ip: 1], note: "private address"),
            Case(input: "subnet 10.0.0.1/24", expected: "subnet [IP]/24", counts: [.ip: 1], note: "address with prefix length"),
            Case(input: "ping 8.8.8.8.", expected: "ping [IP].", counts: [.ip: 1], note: "address ending a sentence"),
            Case(input: "version 1.2.3.4", expected: "version [IP]", counts: [.ip: 1], note: "IPv4-shaped version string is replaced (the safe side)"),
            Case(input: "host 999.1.1.1", expected: "host 999.1.1.1", counts: [:], note: "octet above 255"),
            Case(input: "host 256.1.1.1", expected: "host 256.1.1.1", counts: [:], note: "octet 256"),
            Case(input: "build 1.2.3.4.5", expected: "build 1.2.3.4.5", counts: [:], note: "five parts"),
            Case(input: "v1.2.3.4", expected: "v1.2.3.4", counts: [:], note: "glued to a letter"),
            Case(input: "10.0.1", expected: "10.0.1", counts: [:], note: "three parts"),
            // Email
            Case(input: "write to jane.doe+it@zgcompanies.com today", expected: "write to [EMAIL] today", counts: [.email: 1], note: "address"),
            Case(input: "(maria@example.co.uk)", expected: "([EMAIL])", counts: [.email: 1], note: "address in parentheses"),
            Case(input: "add me to orders@ please", expected: "add me to orders@ please", counts: [:], note: "no domain"),
            Case(input: "admin@localhost", expected: "admin@localhost", counts: [:], note: "no top-level domain"),
            // Mixed, and non-ASCII text around the values survives.
            Case(input: "Café ✓ SSN 123-45-6789, card 4111111111111111, host 10.1.2.3, from a@b.io — merci",
                 expected: "Café ✓ SSN [SSN], card [CARD], host [IP], from [EMAIL] — merci",
                 counts: [.ssn: 1, .card: 1, .ip: 1, .email: 1], note: "mixed with non-ASCII"),
            Case(input: "two cards 4111111111111111 and 6011000990139424", expected: "two cards [CARD] and [CARD]", counts: [.card: 2], note: "counts per kind"),
        ]

        @Test(arguments: ClassificationTests.SanitizerTests.cases)
        func sanitizes(_ c: Case) {
            let result = Sanitizer().sanitize(c.input)
            #expect(result.text == c.expected)
            #expect(result.counts == c.counts)
            #expect(result.total == c.counts.values.reduce(0, +))
        }

        @Test func emailAddressesCanBeKept() {
            let result = Sanitizer(redactsEmailAddresses: false).sanitize("from jane@zgcompanies.com at 10.0.0.1")
            #expect(result.text == "from jane@zgcompanies.com at [IP]")
            #expect(result.count(.email) == 0)
            #expect(result.count(.ip) == 1)
        }

        @Test func theResultNeverContainsTheValues() {
            let planted = ["123-45-6789", "4111 1111 1111 1111", "192.168.10.77", "ceo@zgcompanies.com"]
            let text = "Hi, my SSN is \(planted[0]) and card \(planted[1]); my PC is \(planted[2]). Mail \(planted[3])."
            let result = Sanitizer().sanitize(text)
            for value in planted { #expect(!result.text.contains(value)) }
            #expect(result.total == 4)
            #expect(!String(describing: result.counts).contains("4111"))
        }

        @Test func textWithoutPersonalDataIsReturnedUnchanged() {
            let text = "Printer on floor 2 is jammed again 🙁 — ticket #4471"
            let result = Sanitizer().sanitize(text)
            #expect(result.text == text)
            #expect(result.counts.isEmpty)
        }

        // MARK: - Truncation

        @Test(arguments: Sanitizer.Budget.allCases)
        func truncatesToTheBudget(_ budget: Sanitizer.Budget) {
            let long = String(repeating: "a", count: 5000)
            #expect(Sanitizer.truncate(long, to: budget).count == budget.rawValue)
            #expect(Sanitizer.truncate("short", to: budget) == "short")
        }

        @Test func theBudgetsAreTheSeedsLimits() {
            #expect(Sanitizer.Budget.classify.rawValue == 2000)
            #expect(Sanitizer.Budget.confidence.rawValue == 1000)
            #expect(Sanitizer.Budget.reply.rawValue == 1500)
        }

        @Test func truncationNeverSplitsACharacter() {
            let text = String(repeating: "👩‍💻", count: 1200)
            let cut = Sanitizer.truncate(text, to: .confidence)
            #expect(cut.count == 1000)
            #expect(cut.unicodeScalars.count == 3000)
            #expect(Sanitizer.truncate(text, toCharacters: 0) == "")
        }
    }
}
