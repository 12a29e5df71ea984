import Foundation
@testable import MailHookCore
import Testing

extension ClassificationTests {
    /// A model file is input: every malformed one is refused with a message naming what is wrong,
    /// and the words the model reads are split the same way whatever the script or punctuation.
    struct ModelFileTests {
        static func small() throws -> ClassifierModel {
            ClassifierTrainer(epochs: 5).train(try ClassificationFixtures.load(.heldout), name: "small-1")
        }

        @Test func aTrainedModelRoundTrips() throws {
            let model = try Self.small()
            #expect(try ClassifierModel.load(model.encoded()) == model)
        }

        @Test(arguments: [
            ("format", #"{"x": 1}"#, "not a MailHook classifier model"),
            ("format", #"[1, 2]"#, "not a MailHook classifier model"),
        ])
        func notAModel(_ what: String, _ text: String, _ message: String) {
            #expect { try ClassifierModel.load(Data(text.utf8)) } throws: { ($0 as? ClassifierModelError)?.description.contains(message) == true }
        }

        /// Each case edits a valid model's JSON and names the message the loader must give.
        @Test func malformedModelsAreRefusedByName() throws {
            let valid = try JSONSerialization.jsonObject(with: try Self.small().encoded()) as? [String: Any] ?? [:]
            func edited(_ edit: (inout [String: Any]) -> Void) throws -> Data {
                var copy = valid
                edit(&copy)
                return try JSONSerialization.data(withJSONObject: copy)
            }
            func head(_ key: String, _ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
                { model in
                    var h = model[key] as? [String: Any] ?? [:]
                    edit(&h)
                    model[key] = h
                }
            }
            let cases: [(String, (inout [String: Any]) -> Void)] = [
                ("format must be", { $0["format"] = "something-else" }),
                ("version 2 is not supported", { $0["version"] = 2 }),
                ("name must be", { $0["name"] = "two words" }),
                ("name must be", { $0["name"] = "" }),
                ("category.labels must be", head("category") { $0["labels"] = ["SUPPORT", "PURCHASING", "INFORMATION", "ESCALATION", "CONSULTATION"] }),
                ("urgency.labels must be", head("urgency") { $0["labels"] = ["LOW"] }),
                ("category.bias must hold", head("category") { $0["bias"] = [0, 0] }),
                ("urgency.bias must hold", head("urgency") { $0["bias"] = [0, 0, 0, 1e9] }),
                ("category.weights must map", head("category") { $0["weights"] = ["printer": [1, 2]] }),
                ("category.weights must map", head("category") { $0["weights"] = ["": [0, 0, 0, 0, 0]] }),
                ("urgency.weights must map", head("urgency") { $0["weights"] = ["down": [0, 0, 5000, 0]] }),
                ("not a MailHook classifier model", { $0.removeValue(forKey: "urgency") }),
            ]
            for (message, edit) in cases {
                let data = try edited(edit)
                #expect(throws: ClassifierModelError.self, "\(message)") { try ClassifierModel.load(data) }
                do {
                    _ = try ClassifierModel.load(data)
                } catch let error as ClassifierModelError {
                    #expect(error.description.contains(message), "\(error.description) should say \(message)")
                }
            }
        }

        @Test func wordsAreSplitTheSameWayWhateverTheScript() {
            let features = TextFeatures.of(subject: "ÜBER “Drucker”", body: "Can’t print — the Grüße… «urgent» don't")
            for word in ["über", "drucker", "cant", "print", "grüße", "urgent", "dont", "s:über", "s:drucker", "über_drucker", "cant_print"] {
                #expect(features.contains(word), "\(word) in \(features.sorted())")
            }
            #expect(!features.contains { $0.contains("“") || $0.contains("—") || $0.contains("…") || $0.contains("«") })
        }

        @Test func quotedHistoryIsReadOnlyWhenTheNewestPartSaysAlmostNothing() {
            let history = "\n\nOn Tue, 3 Mar 2026, Ann wrote:\n> the printer is broken again"
            let long = TextFeatures.of(subject: "", body: "Thanks, that fixed it, all working now and I can print again fine." + history)
            #expect(!long.contains("broken"))
            let short = TextFeatures.of(subject: "", body: "Any news?" + history)
            #expect(short.contains("broken"))
        }

        @Test func workIsBoundedWhateverTheSize() {
            let body = (0..<50_000).map { "w\($0)" }.joined(separator: " ")
            let features = TextFeatures.of(subject: "", body: body)
            // A word, its pair with the next, and its character grams.
            let perWord = 2 + TextFeatures.characterGramWordLimit - 1
            #expect(features.count <= perWord * TextFeatures.maximumWords)
            // One run of 300,000 letters: no feature at all, and none larger than a word can be.
            let run = (0..<50_000).map { "w\($0)" }.joined()
            #expect(TextFeatures.of(subject: "", body: run).isEmpty)
            let words = TextFeatures.of(subject: "", body: String(repeating: "x", count: 64) + " " + String(repeating: "y", count: 65))
            #expect(words.contains(String(repeating: "x", count: 64)))
            #expect(!words.contains { $0.hasPrefix("yy") })
        }

        @Test func wordsShareTheirCharacterGrams() {
            let printer = TextFeatures.of(subject: "", body: "printer")
            let printing = TextFeatures.of(subject: "", body: "printing")
            #expect(printer.isSuperset(of: ["printer", "c:<pri", "c:prin", "c:rint", "c:inte", "c:nter", "c:ter>"]))
            #expect(printer.intersection(printing) == ["c:<pri", "c:prin", "c:rint"])
            #expect(TextFeatures.of(subject: "", body: "grüße").contains("c:rüße"), "graphemes, not bytes")
            #expect(TextFeatures.of(subject: "", body: "it").filter { $0.hasPrefix("c:") }.isEmpty, "two letters give no grams")
            #expect(TextFeatures.value(of: "c:prin") == 0.4)
            #expect(TextFeatures.value(of: "printer") == 1)
            #expect(TextFeatures.value(of: "printer_queue") == 1)
        }

        @Test func gramsComeFromWordsOfUpTo24Characters() {
            func grams(_ word: String) -> Int { TextFeatures.of(subject: "", body: word).filter { $0.hasPrefix("c:") }.count }
            #expect(grams("abcdefghijklmnopqrstuvwx") == 23, "24 letters: 26 with the marks, 23 grams")
            #expect(grams("abcdefghijklmnopqrstuvwxy") == 0, "25 letters: none")
            #expect(grams("äbcdefghijklmnopqrstuvwx") == 23, "24 characters, one of them two bytes")
            #expect(grams("abc") == 2)
        }

        /// Both heads read one index; an input only one head has adds nothing to the other, and a
        /// character gram counts ``TextFeatures/characterGramValue`` of its weight.
        @Test func flatHeadsSumWhatEachHeadHas() {
            let category = LinearHead(
                labels: MailHookCore.Category.allCases.map(\.rawValue), bias: [0.1, -0.1, 0, 0, 0], weights: ["printer": [1.0, -1.0, 0, 0, 0]])
            let urgency = LinearHead(
                labels: Urgency.allCases.map(\.rawValue), bias: [0, 0.5, 0, 0], weights: ["urgent": [0.0, 2.0, 0, 0], "c:<urg": [1.0, 0.0, 0, 0]])
            let heads = FlatHeads(category: category, urgency: urgency)
            let rows = heads.rows(of: ["printer", "urgent", "c:<urg", "unknown"])
            #expect(rows.count == 3)
            func softmax(_ z: [Double]) -> [Double] {
                let e = z.map { exp($0 - (z.max() ?? 0)) }
                return e.map { $0 / e.reduce(0, +) }
            }
            let p = heads.category.probabilities(rows)
            let u = heads.urgency.probabilities(rows)
            let expectedP = softmax([1.1, -1.1, 0, 0, 0])
            let expectedU = softmax([0.4, 2.5, 0, 0])
            #expect(p.count == 5 && u.count == 4)
            for k in 0..<5 { #expect(abs(p[k] - expectedP[k]) < 1e-12) }
            for k in 0..<4 { #expect(abs(u[k] - expectedU[k]) < 1e-12) }
            #expect(heads.rows(of: [("printer", 0), ("urgent", 2), ("nothing", 1)]).map(\.value) == [2])
        }
    }
}
