import MailHookCore
import Testing

extension ClassificationTests {
    /// LLM answers in the shapes models really produce, and the typed errors for the ones we refuse.
    struct ParserTests {
        static let valid = """
            {"category": "SUPPORT", "confidence": 88, "reasoning": "The VPN fails with error 809.", "urgency": "MEDIUM",
             "suggested_action": "Check the VPN client", "required_expertise": ["network"], "estimated_effort": "30 minutes"}
            """

        func parse(_ text: String) throws(LLMAnswerError) -> Classification {
            try LLMAnswerParser.parseClassification(text, modelUsed: "gpt-test", tokensUsed: 321)
        }

        @Test func parsesAPlainObject() throws {
            let c = try parse(Self.valid)
            #expect(c.category == .support)
            #expect(c.confidence == 88)
            #expect(c.urgency == .medium)
            #expect(c.reasoning == "The VPN fails with error 809.")
            #expect(c.suggestedAction == "Check the VPN client")
            #expect(c.requiredExpertise == ["network"])
            #expect(c.estimatedEffort == "30 minutes")
            #expect(c.modelUsed == "gpt-test")
            #expect(c.promptVersion == PromptTemplates.version)
            #expect(c.tokensUsed == 321)
            #expect(c.cues.isEmpty)
        }

        @Test func findsTheObjectInACodeFenceWithProseAround() throws {
            let text = "Sure! Here is the classification:\n```json\n\(Self.valid)\n```\nLet me know if you need more."
            #expect(try parse(text).category == .support)
        }

        @Test func findsTheObjectInAnUnlabelledFence() throws {
            #expect(try parse("```\n\(Self.valid)\n```").confidence == 88)
        }

        @Test func takesTheFirstBalancedObjectThatParses() throws {
            let text = "Thinking {not json at all} ... final: \(Self.valid) and {\"category\": \"PURCHASING\"}"
            #expect(try parse(text).category == .support)
        }

        @Test func bracesInsideStringsDoNotEndTheObject() throws {
            let text = #"{"category": "information", "confidence": 70, "urgency": "low", "reasoning": "asks what {x} and \"}\" mean"} trailing"#
            let c = try parse(text)
            #expect(c.category == .information)
            #expect(c.reasoning == #"asks what {x} and "}" mean"#)
        }

        @Test func enumsMatchCaseInsensitively() throws {
            let c = try parse(#"{"category": " Consultation ", "confidence": 61, "urgency": "High"}"#)
            #expect(c.category == .consultation)
            #expect(c.urgency == .high)
            // Optional fields default to empty.
            #expect(c.reasoning == "")
            #expect(c.requiredExpertise == [])
            #expect(c.estimatedEffort == "")
        }

        @Test func camelCaseKeysAndATrailingCommaAreAccepted() throws {
            let c = try parse(#"{"category": "SUPPORT", "confidence": 70, "urgency": "LOW", "suggestedAction": "Reset it", "requiredExpertise": "identity",}"#)
            #expect(c.suggestedAction == "Reset it")
            #expect(c.requiredExpertise == ["identity"])
        }

        struct ConfidenceCase: Sendable, CustomTestStringConvertible {
            var json: String
            var expected: Double?
            var testDescription: String { json }
        }

        @Test(arguments: [
            ConfidenceCase(json: "85", expected: 85),
            ConfidenceCase(json: "0.85", expected: 85),
            ConfidenceCase(json: "0.5", expected: 50),
            ConfidenceCase(json: "1", expected: 1),
            ConfidenceCase(json: "0", expected: 0),
            ConfidenceCase(json: "100", expected: 100),
            ConfidenceCase(json: "72.5", expected: 72.5),
            ConfidenceCase(json: "\"92%\"", expected: 92),
            ConfidenceCase(json: "\" 64 \"", expected: 64),
            ConfidenceCase(json: "101", expected: nil),
            ConfidenceCase(json: "-5", expected: nil),
            ConfidenceCase(json: "\"high\"", expected: nil),
            ConfidenceCase(json: "[80]", expected: nil),
            ConfidenceCase(json: "null", expected: nil),
        ])
        func confidenceField(_ c: ConfidenceCase) {
            let text = #"{"category": "SUPPORT", "urgency": "LOW", "confidence": \#(c.json)}"#
            let result = Result { () throws(LLMAnswerError) in try parse(text) }
            switch (result, c.expected) {
            case (.success(let classification), .some(let expected)):
                #expect(classification.confidence == expected)
            case (.failure(let error), .none):
                if c.json == "null" {
                    #expect(error == .missingField("confidence"))
                } else if case .invalidField(let field, _) = error {
                    #expect(field == "confidence")
                } else {
                    Issue.record("unexpected error \(error)")
                }
            default:
                Issue.record("got \(result) for \(c.json)")
            }
        }

        @Test func expertiseAsACommaStringIsSplitAndNormalised() throws {
            let c = try parse(#"{"category": "SUPPORT", "confidence": 80, "urgency": "LOW", "required_expertise": "Network; Security, network , "}"#)
            #expect(c.requiredExpertise == ["network", "security"])
        }

        @Test func expertiseWithANonStringItemNamesTheField() {
            #expect(throws: LLMAnswerError.invalidField("required_expertise", problem: "item 1 is a number, expected a string")) {
                try parse(#"{"category": "SUPPORT", "confidence": 80, "urgency": "LOW", "required_expertise": ["network", 3]}"#)
            }
        }

        @Test func errorsNameTheField() {
            #expect(throws: LLMAnswerError.missingField("category")) {
                try parse(#"{"confidence": 80, "urgency": "LOW"}"#)
            }
            #expect(throws: LLMAnswerError.missingField("urgency")) {
                try parse(#"{"category": "SUPPORT", "confidence": 80}"#)
            }
            #expect(throws: LLMAnswerError.invalidField("category", problem: "\"HARDWARE\" is not one of PURCHASING, SUPPORT, INFORMATION, ESCALATION, CONSULTATION")) {
                try parse(#"{"category": "HARDWARE", "confidence": 80, "urgency": "LOW"}"#)
            }
            #expect(throws: LLMAnswerError.invalidField("urgency", problem: "\"URGENT\" is not one of LOW, MEDIUM, HIGH, CRITICAL")) {
                try parse(#"{"category": "SUPPORT", "confidence": 80, "urgency": "URGENT"}"#)
            }
            #expect(throws: LLMAnswerError.invalidField("category", problem: "is a number, expected a string")) {
                try parse(#"{"category": 2, "confidence": 80, "urgency": "LOW"}"#)
            }
            #expect(throws: LLMAnswerError.invalidField("reasoning", problem: "is an object, expected a string")) {
                try parse(#"{"category": "SUPPORT", "confidence": 80, "urgency": "LOW", "reasoning": {"a": 1}}"#)
            }
        }

        @Test func textWithoutAnObjectIsRejected() {
            #expect(throws: LLMAnswerError.noJSONObject) { try parse("I think this is a SUPPORT request, 80% sure.") }
            #expect(throws: LLMAnswerError.noJSONObject) { try parse("") }
        }

        @Test func aTruncatedOrBrokenObjectIsRejected() {
            #expect {
                try parse(#"{"category": "SUPPORT", "confidence": 80, "urg"#)
            } throws: { error in
                if case LLMAnswerError.invalidJSON = error { return true }
                return false
            }
            #expect {
                try parse("{category: SUPPORT}")
            } throws: { error in
                if case LLMAnswerError.invalidJSON = error { return true }
                return false
            }
        }

        @Test func deepNestingIsRejectedNotCrashed() {
            let deep = String(repeating: "{\"a\":", count: 5000) + "1" + String(repeating: "}", count: 5000)
            #expect {
                try parse(deep)
            } throws: { error in
                if case LLMAnswerError.invalidJSON = error { return true }
                return false
            }
        }

        @Test func anArrayIsNotTheAnswer() {
            #expect(throws: LLMAnswerError.self) { try parse(#"[{"category": "SUPPORT"}]"#) }
        }

        // MARK: - Confidence answer

        struct Answer: Sendable, CustomTestStringConvertible {
            var text: String
            var expected: Int?
            var testDescription: String { text }
        }

        @Test(arguments: [
            Answer(text: "87", expected: 87),
            Answer(text: " 87\n", expected: 87),
            Answer(text: "Confidence: 87%", expected: 87),
            Answer(text: "I'd put it at 87/100.", expected: 87),
            Answer(text: "0.9", expected: 90),
            Answer(text: "87.6", expected: 88),
            Answer(text: "100", expected: 100),
            Answer(text: "0", expected: 0),
            Answer(text: "Out of 1000 similar emails, about 85 would be right", expected: 85),
            Answer(text: "gpt4 estimate: 70", expected: 70),
            Answer(text: "-5, no wait, 40", expected: 40),
            Answer(text: "I cannot tell.", expected: nil),
            Answer(text: "250", expected: nil),
        ])
        func confidenceAnswer(_ a: Answer) throws {
            if let expected = a.expected {
                #expect(try LLMAnswerParser.parseConfidence(a.text) == expected)
            } else {
                #expect(throws: LLMAnswerError.noConfidence) { try LLMAnswerParser.parseConfidence(a.text) }
            }
        }
    }
}
