import Foundation
import MailHookCore
import Testing

extension ClassificationTests {
    /// How well the cues alone do on the labelled fixtures. Prints a Markdown table
    /// (between `classifier-report` markers, for `Scripts/classifier-report` and the README) and
    /// requires at least 85 % accuracy on the held-out split, which was never used for tuning.
    struct AccuracyTests {
        struct Scores {
            var total = 0
            var correct = 0
            var urgencyCorrect = 0
            var predicted: [MailHookCore.Category: Int] = [:]
            var actual: [MailHookCore.Category: Int] = [:]
            var hits: [MailHookCore.Category: Int] = [:]
            /// (count, correct) per confidence band.
            var bands: [Int: (Int, Int)] = [:]
            var misses: [(LabelledEmail, Classification)] = []
        var urgencyMisses: [(LabelledEmail, Classification)] = []

            var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
            var urgencyAccuracy: Double { total == 0 ? 0 : Double(urgencyCorrect) / Double(total) }
            func precision(_ c: MailHookCore.Category) -> Double { Double(hits[c] ?? 0) / Double(max(predicted[c] ?? 0, 1)) }
            func recall(_ c: MailHookCore.Category) -> Double { Double(hits[c] ?? 0) / Double(max(actual[c] ?? 0, 1)) }

            static let bandEdges: [Double] = [0, 40, 60, 80, 90]
            static func band(_ confidence: Double) -> Int { bandEdges.lastIndex(where: { confidence >= $0 }) ?? 0 }
        }

        static func score(_ emails: [LabelledEmail]) -> Scores {
            let classifier = LocalClassifier()
            var s = Scores()
            for email in emails {
                let result = classifier.classify(subject: email.subject, body: email.body)
                s.total += 1
                s.actual[email.category, default: 0] += 1
                s.predicted[result.category, default: 0] += 1
                let right = result.category == email.category
                if right {
                    s.correct += 1
                    s.hits[email.category, default: 0] += 1
                } else {
                    s.misses.append((email, result))
                }
                if result.urgency == email.urgency { s.urgencyCorrect += 1 } else { s.urgencyMisses.append((email, result)) }
                let band = Scores.band(result.confidence)
                let (n, c) = s.bands[band] ?? (0, 0)
                s.bands[band] = (n + 1, c + (right ? 1 : 0))
            }
            return s
        }

        static func percent(_ x: Double) -> String { String(format: "%.1f %%", x * 100) }

        /// Per-category precision and recall of the cues alone on each split, then accuracy by confidence band.
        static func table(_ splits: [(name: String, scores: Scores)]) -> String {
            var lines = [
                "| category | " + splits.map { "\($0.name) precision | \($0.name) recall" }.joined(separator: " | ") + " |",
                "|---|" + String(repeating: "---:|---:|", count: splits.count),
            ]
            for c in MailHookCore.Category.allCases {
                lines.append("| \(c.rawValue) | " + splits.map { "\(percent($0.scores.precision(c))) | \(percent($0.scores.recall(c)))" }.joined(separator: " | ") + " |")
            }
            lines.append("| **accuracy** | " + splits.map { "\(percent($0.scores.accuracy)) (\($0.scores.correct)/\($0.scores.total)) | " }.joined(separator: " | ") + " |")
            lines.append("| urgency accuracy | " + splits.map { "\(percent($0.scores.urgencyAccuracy)) | " }.joined(separator: " | ") + " |")
            lines.append("")
            lines.append("| confidence | " + splits.map { "\($0.name) emails | \($0.name) accuracy" }.joined(separator: " | ") + " |")
            lines.append("|---|" + String(repeating: "---:|---:|", count: splits.count))
            for (i, edge) in Scores.bandEdges.enumerated() {
                let label = i + 1 < Scores.bandEdges.count ? "\(Int(edge))–\(Int(Scores.bandEdges[i + 1]))" : "≥ \(Int(edge))"
                func acc(_ p: (Int, Int)) -> String { p.0 == 0 ? "–" : percent(Double(p.1) / Double(p.0)) }
                lines.append("| \(label) | " + splits.map { split -> String in
                    let band = split.scores.bands[i] ?? (0, 0)
                    return "\(band.0) | \(acc(band))"
                }.joined(separator: " | ") + " |")
            }
            return lines.joined(separator: "\n")
        }

        @Test func heldOutAccuracyIsAtLeast85Percent() throws {
            let tuning = Self.score(try ClassificationFixtures.load(.tuning))
            let heldOut = Self.score(try ClassificationFixtures.load(.heldout))
            let varied = Self.score(try ClassificationFixtures.load(.varied))
            let sectors = Self.score(try ClassificationFixtures.load(.sectors))
            let industries = Self.score(try ClassificationFixtures.load(.industries))
            print("<!-- classifier-report:begin -->")
            print(Self.table([("tuning", tuning), ("held-out", heldOut), ("varied", varied), ("sectors", sectors), ("industries", industries)]))
            print("<!-- classifier-report:end -->")
            // Tuning aid (MAILHOOK_CLASSIFIER_TUNING_MISSES=1): what the TUNING split gets wrong.
            // Held-out mistakes are never listed, so nobody tunes the rules against them.
            if ProcessInfo.processInfo.environment["MAILHOOK_CLASSIFIER_TUNING_MISSES"] == "1" {
                for (email, result) in tuning.misses {
                    print("MISS \(email.id) want \(email.category.rawValue) got \(result.category.rawValue) (\(result.confidence)): \(email.subject)")
                    for cue in result.cues.prefix(8) { print("    \(cue)") }
                }
                for (email, result) in tuning.urgencyMisses {
                    let cues = result.cues.filter { $0.hasPrefix("urgency") }.prefix(4).joined(separator: "; ")
                    print("URGENCY \(email.id) want \(email.urgency?.rawValue ?? "-") got \(result.urgency.rawValue) [\(email.category.rawValue)]: \(email.subject) | \(cues)")
                }
            }
            #expect(heldOut.total >= 90)
            #expect(heldOut.accuracy >= 0.85, "held-out accuracy \(Self.percent(heldOut.accuracy))")
        }

        @Test func fixturesAreBalancedAndDistinct() throws {
            let tuning = try ClassificationFixtures.load(.tuning)
            let heldOut = try ClassificationFixtures.load(.heldout)
            let varied = try ClassificationFixtures.load(.varied)
            let sectors = try ClassificationFixtures.load(.sectors)
            let industries = try ClassificationFixtures.load(.industries)
            let all = tuning + heldOut + varied + sectors + industries
            #expect(all.count >= 600)
            #expect(Set(all.map(\.id)).count == all.count, "ids are unique")
            #expect(Set(all.map { $0.subject + "\n" + $0.body }).count == all.count, "no email appears twice")
            for category in MailHookCore.Category.allCases {
                #expect(all.filter { $0.category == category }.count >= 120, "\(category.rawValue) has at least 120 emails")
                #expect(varied.filter { $0.category == category }.count >= 60, "the varied set has \(category.rawValue) emails")
                #expect(sectors.filter { $0.category == category }.count >= 40, "the sectors set has \(category.rawValue) emails")
                #expect(industries.filter { $0.category == category }.count >= 40, "the industries set has \(category.rawValue) emails")
            }
            for urgency in Urgency.allCases {
                #expect(all.contains { $0.urgency == urgency }, "\(urgency.rawValue) is represented")
            }
            // The rules were tuned on the tuning split alone: most fixtures were never seen while tuning them.
            #expect(Double(tuning.count) / Double(all.count) < 0.4)
        }
    }
}
