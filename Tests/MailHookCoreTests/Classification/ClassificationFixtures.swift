import Foundation
import MailHookCore

/// The labelled IT emails under `Fixtures/emails/`: `tuning.jsonl` (the rules were tuned on it)
/// and `heldout.jsonl` (written first, never used for tuning). One JSON object per line:
/// `{"id","subject","body","sender","category","urgency","note"?}`.
struct LabelledEmail: Sendable {
    let id: String
    let subject: String
    let body: String
    let sender: String
    let category: MailHookCore.Category
    let urgency: Urgency
    let note: String?
}

enum FixtureSplit: String, Sendable, CaseIterable {
    case tuning
    case heldout
}

enum ClassificationFixtures {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// `Tests/MailHookCoreTests/Fixtures/emails`, found from this file's path so it works from any
    /// working directory.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/emails")

    static func load(_ split: FixtureSplit) throws -> [LabelledEmail] {
        let url = directory.appendingPathComponent("\(split.rawValue).jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        var emails: [LabelledEmail] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let json = try JSONValue.parse(Array(line.utf8))
            func string(_ key: String) throws -> String {
                guard let value = json[key]?.stringValue else { throw Invalid(description: "\(split.rawValue).jsonl line \(number + 1): no string \"\(key)\"") }
                return value
            }
            guard let category = MailHookCore.Category(rawValue: try string("category")),
                  let urgency = Urgency(rawValue: try string("urgency"))
            else { throw Invalid(description: "\(split.rawValue).jsonl line \(number + 1): bad category or urgency") }
            emails.append(LabelledEmail(
                id: try string("id"), subject: try string("subject"), body: try string("body"), sender: try string("sender"),
                category: category, urgency: urgency, note: json["note"]?.stringValue))
        }
        return emails
    }
}
