import Foundation
@testable import MailHookCore
import Testing

extension ClassificationTests {
    /// How ``CriticalTradeoff`` counts one email: urgency, CRITICAL found or not, and escalations
    /// as routing makes them (category ESCALATION or urgency CRITICAL).
    struct CriticalTradeoffTests {
        static func email(_ category: MailHookCore.Category, _ urgency: Urgency?) -> LabelledEmail {
            LabelledEmail(id: "e", subject: "s", body: "b", category: category, urgency: urgency)
        }

        static func result(_ category: MailHookCore.Category, _ urgency: Urgency) -> Classification {
            Classification(
                category: category, confidence: 80, reasoning: "r", urgency: urgency, suggestedAction: "a", requiredExpertise: [],
                estimatedEffort: "b", cues: [], modelUsed: "m", promptVersion: "p", tokensUsed: nil)
        }

        static func row(_ cases: [(LabelledEmail, Classification)]) -> CriticalTradeoff.Row {
            var tradeoff = CriticalTradeoff()
            for (email, result) in cases { tradeoff.record(0, email, result) }
            return tradeoff.rows[0]
        }

        @Test func escalationsAreTheCategoryOrCriticalUrgency() {
            // An ESCALATION label escalated by its category alone, and one missed.
            var row = Self.row([(Self.email(.escalation, .medium), Self.result(.escalation, .medium)), (Self.email(.escalation, .high), Self.result(.support, .high))])
            #expect(row.escalations == 2 && row.escalationsMissed == 1 && row.others == 0)
            // A CRITICAL label on SUPPORT: found through urgency; a SUPPORT called CRITICAL: an extra escalation.
            row = Self.row([(Self.email(.support, .critical), Self.result(.support, .critical)), (Self.email(.support, .low), Self.result(.support, .critical))])
            #expect(row.escalations == 1 && row.escalationsMissed == 0 && row.critical == 1 && row.criticalFound == 1)
            #expect(row.others == 1 && row.extraEscalations == 1 && row.othersCalledCritical == 1)
            // Called ESCALATION without being one: extra, but not CRITICAL.
            row = Self.row([(Self.email(.information, .low), Self.result(.escalation, .medium))])
            #expect(row.extraEscalations == 1 && row.othersCalledCritical == 0 && row.urgencyCorrect == 0 && row.emails == 1)
        }

        @Test func aConfiguredThresholdIsMeasuredAndMarked() {
            let site = CriticalTradeoff(configured: 35)
            #expect(site.rows.map(\.percent) == [10, 15, 20, 25, 30, 35, 50])
            #expect(site.table().contains("| **35 %** (configured) |") && site.table().contains("| 15 % (default) |"))
            let standard = CriticalTradeoff()
            #expect(standard.rows.map(\.percent) == CriticalTradeoff.percents)
            #expect(standard.table().contains("| **15 %** (default) |") && !standard.table().contains("configured"))
        }

        @Test func emailsWithoutAnUrgencyCountOnlyForEscalations() {
            let row = Self.row([(Self.email(.escalation, nil), Self.result(.support, .critical))])
            #expect(row.emails == 0 && row.critical == 0 && row.othersCalledCritical == 0)
            #expect(row.escalations == 1 && row.escalationsMissed == 0)
        }
    }
}
