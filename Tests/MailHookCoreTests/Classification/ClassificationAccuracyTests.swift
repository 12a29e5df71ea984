import Foundation
import MailHookCore
import Testing

extension ClassificationTests {
    /// How well the offline classifier does on the labelled fixtures. Prints a Markdown table
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

        static func table(tuning: Scores, heldOut: Scores) -> String {
            var lines = [
                "| category | tuning precision | tuning recall | held-out precision | held-out recall |",
                "|---|---:|---:|---:|---:|",
            ]
            for c in MailHookCore.Category.allCases {
                lines.append("| \(c.rawValue) | \(percent(tuning.precision(c))) | \(percent(tuning.recall(c))) | \(percent(heldOut.precision(c))) | \(percent(heldOut.recall(c))) |")
            }
            lines.append("| **accuracy** | \(percent(tuning.accuracy)) (\(tuning.correct)/\(tuning.total)) | | \(percent(heldOut.accuracy)) (\(heldOut.correct)/\(heldOut.total)) | |")
            lines.append("| urgency accuracy | \(percent(tuning.urgencyAccuracy)) | | \(percent(heldOut.urgencyAccuracy)) | |")
            lines.append("")
            lines.append("| confidence | tuning emails | tuning accuracy | held-out emails | held-out accuracy |")
            lines.append("|---|---:|---:|---:|---:|")
            for (i, edge) in Scores.bandEdges.enumerated() {
                let label = i + 1 < Scores.bandEdges.count ? "\(Int(edge))–\(Int(Scores.bandEdges[i + 1]))" : "≥ \(Int(edge))"
                let t = tuning.bands[i] ?? (0, 0)
                let h = heldOut.bands[i] ?? (0, 0)
                func acc(_ p: (Int, Int)) -> String { p.0 == 0 ? "–" : percent(Double(p.1) / Double(p.0)) }
                lines.append("| \(label) | \(t.0) | \(acc(t)) | \(h.0) | \(acc(h)) |")
            }
            return lines.joined(separator: "\n")
        }

        @Test func heldOutAccuracyIsAtLeast85Percent() throws {
            let tuning = Self.score(try ClassificationFixtures.load(.tuning))
            let heldOut = Self.score(try ClassificationFixtures.load(.heldout))
            print("<!-- classifier-report:begin -->")
            print(Self.table(tuning: tuning, heldOut: heldOut))
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
                    print("URGENCY \(email.id) want \(email.urgency.rawValue) got \(result.urgency.rawValue) [\(email.category.rawValue)]: \(email.subject) | \(cues)")
                }
            }
            #expect(heldOut.total >= 90)
            #expect(heldOut.accuracy >= 0.85, "held-out accuracy \(Self.percent(heldOut.accuracy))")
        }

        @Test func fixturesAreBalancedAndDistinct() throws {
            let tuning = try ClassificationFixtures.load(.tuning)
            let heldOut = try ClassificationFixtures.load(.heldout)
            let all = tuning + heldOut
            #expect(all.count >= 320)
            #expect(Set(all.map(\.id)).count == all.count, "ids are unique")
            #expect(Set(all.map { $0.subject + "\n" + $0.body }).count == all.count, "no email appears twice")
            for category in MailHookCore.Category.allCases {
                #expect(all.filter { $0.category == category }.count >= 50, "\(category.rawValue) has at least 50 emails")
            }
            for urgency in Urgency.allCases {
                #expect(all.contains { $0.urgency == urgency }, "\(urgency.rawValue) is represented")
            }
            let heldOutShare = Double(heldOut.count) / Double(all.count)
            #expect(heldOutShare > 0.25 && heldOutShare < 0.35)
        }
    }
}
