import MailHookCore
import Testing

extension ClassificationTests {
    /// What an evaluation counts: both confusion matrices, and the emails it disagreed on, which
    /// `mailhook train --disagreements` writes for a person to check.
    struct EvaluationTests {
        static func email(_ id: String, _ category: MailHookCore.Category, _ urgency: Urgency?) -> LabelledEmail {
            LabelledEmail(id: id, subject: "subject \(id)", body: "", category: category, urgency: urgency)
        }

        static func result(_ category: MailHookCore.Category, _ urgency: Urgency, confidence: Double = 70) -> Classification {
            Classification(
                category: category, confidence: confidence, reasoning: "", urgency: urgency, suggestedAction: "", requiredExpertise: [],
                estimatedEffort: "", modelUsed: "test", promptVersion: "test")
        }

        @Test func countsBothMatricesAndListsEachDisagreementOnce() {
            var evaluation = ClassifierEvaluation()
            evaluation.record(Self.email("right", .support, .high), Self.result(.support, .high))
            evaluation.record(Self.email("urgency", .support, .critical), Self.result(.support, .high, confidence: 88))
            evaluation.record(Self.email("category", .escalation, .high), Self.result(.support, .high))
            evaluation.record(Self.email("both", .purchasing, .low), Self.result(.information, .medium))
            evaluation.record(Self.email("no-urgency", .information, nil), Self.result(.information, .low))

            #expect(evaluation.total == 5 && evaluation.correct == 3)
            #expect(evaluation.urgencyTotal == 4, "an email labelled without urgency is not counted")
            #expect(evaluation.urgencyCorrect == 2)
            #expect(evaluation.urgencyConfusion[3][2] == 1, "CRITICAL labelled, HIGH chosen")
            #expect(evaluation.urgencyConfusion[0][1] == 1, "LOW labelled, MEDIUM chosen")
            #expect(evaluation.disagreements.map(\.id) == ["urgency", "category", "both"])
            let first = evaluation.disagreements[0]
            #expect(first.labelledUrgency == .critical && first.chosenUrgency == .high && first.confidence == 88)
            #expect(first.labelledCategory == .support && first.chosenCategory == .support && first.subject == "subject urgency")
            #expect(evaluation.table().contains("| CRITICAL | 0 | 0 | 1 | 0 |"), "\(evaluation.table())")
        }
    }
}
