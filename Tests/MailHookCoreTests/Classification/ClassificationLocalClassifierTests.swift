import Foundation
import MailHookCore
import Testing

extension ClassificationTests {
    /// The offline classifier's behaviour beyond accuracy: determinism, explanations, urgency cues,
    /// and the fields every result must carry.
    struct LocalClassifierTests {
        let classifier = LocalClassifier()

        @Test func sameInputSameOutput() throws {
            let emails = try ClassificationFixtures.load(.tuning)
            let other = LocalClassifier()
            for email in emails {
                let first = classifier.classify(subject: email.subject, body: email.body)
                #expect(first == classifier.classify(subject: email.subject, body: email.body))
                #expect(first == other.classify(subject: email.subject, body: email.body))
            }
        }

        @Test func everyResultIsComplete() throws {
            for email in try ClassificationFixtures.load(.tuning) {
                let c = classifier.classify(subject: email.subject, body: email.body)
                #expect((0...100).contains(c.confidence))
                #expect(!c.reasoning.isEmpty)
                #expect(!c.suggestedAction.isEmpty)
                #expect(!c.estimatedEffort.isEmpty)
                #expect(!c.cues.isEmpty, "\(email.id) explains itself")
                #expect(c.modelUsed == LocalClassifier.modelName)
                #expect(c.promptVersion == LocalClassifier.rulesVersion)
                #expect(c.tokensUsed == nil)
                #expect(c.requiredExpertise.count <= 3)
            }
        }

        @Test func aClearPurchaseRequest() {
            let c = classifier.classify(subject: "Please order 3 Visio licences", body: "Can you purchase three Visio licences for the analysts? Cost center 4410.")
            #expect(c.category == .purchasing)
            #expect(c.confidence >= 80)
            #expect(c.requiredExpertise.first == "procurement")
            #expect(c.requiredExpertise.contains("licensing"))
            #expect(c.cues.contains { $0.hasPrefix("PURCHASING") && $0.contains("\"purchas*\"") })
        }

        @Test func ransomwareIsACriticalEscalation() {
            let c = classifier.classify(subject: "Ransomware on the file server", body: "Files are encrypted and there is a ransom note. All users are affected.")
            #expect(c.category == .escalation)
            #expect(c.urgency == .critical)
            #expect(c.requiredExpertise.contains("security"))
            #expect(RoutingPolicy(MailHookConfiguration.defaults().routing).route(c).decision == .escalate)
        }

        @Test func notUrgentHidesUrgent() {
            let c = classifier.classify(subject: "question", body: "Not urgent: where can I find the IT handbook?")
            #expect(c.category == .information)
            #expect(c.urgency == .low)
            #expect(!c.cues.contains { $0.hasPrefix("urgency HIGH") })
        }

        @Test func curlyApostrophesAreWordsToo() {
            let c = classifier.classify(subject: "Outlook", body: "I can’t log in since this morning.")
            #expect(c.category == .support)
            #expect(c.cues.contains { $0.contains("\"cant log in\"") })
        }

        @Test func quotedTextCountsLess() {
            let body = "Thanks, see below.\n\n-----Original Message-----\nFrom: Vendor\nPlease find attached the renewal quote."
            let c = classifier.classify(subject: "FW: info", body: body)
            #expect(c.cues.contains { $0.contains("in quoted") })
        }

        @Test func noEvidenceMeansLowConfidence() {
            let c = classifier.classify(subject: "", body: "")
            #expect(c.category == .support)
            #expect(c.confidence == 20)
            #expect(c.cues.isEmpty)
            #expect(RoutingPolicy(MailHookConfiguration.defaults().routing).route(c).decision == .escalate)
        }

        @Test func fewCuesGiveLowerConfidenceThanMany() {
            let weak = classifier.classify(subject: "monitor", body: "hi")
            let strong = classifier.classify(subject: "Purchase request: 2 monitors", body: "Please order two monitors, cost center 5120. Quote attached, approved by my director.")
            #expect(weak.confidence < strong.confidence)
            #expect(weak.confidence < 60)
        }

        @Test func theResultEncodesWithSnakeCaseKeys() throws {
            let c = classifier.classify(subject: "VPN error 809", body: "The VPN is not working from home.")
            let data = try JSONEncoder().encode(c)
            let json = try JSONValue.parse(Array(data))
            for key in ["category", "confidence", "reasoning", "urgency", "suggested_action", "required_expertise", "estimated_effort", "cues", "model_used", "prompt_version"] {
                #expect(json[key] != nil, "has \(key)")
            }
            #expect(try JSONDecoder().decode(Classification.self, from: data) == c)
        }
    }
}
