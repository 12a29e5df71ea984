import Foundation
import MailHookCore

/// The labelled IT emails under `Fixtures/emails/` (``LabelledEmail``): `tuning.jsonl` (the rules
/// were tuned on it), `heldout.jsonl` (written first, never used for tuning) and `varied.jsonl`
/// (written later by other hands in other styles, never used for tuning the rules).
enum FixtureSplit: String, Sendable, CaseIterable {
    case tuning
    case heldout
    case varied
}

enum ClassificationFixtures {
    /// `Tests/MailHookCoreTests/Fixtures/emails`, found from this file's path so it works from any
    /// working directory.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/emails")

    static func load(_ split: FixtureSplit) throws -> [LabelledEmail] {
        let url = directory.appendingPathComponent("\(split.rawValue).jsonl")
        return try LabelledEmail.parseLines(try String(contentsOf: url, encoding: .utf8), source: "\(split.rawValue).jsonl")
    }

    static func loadAll() throws -> [LabelledEmail] {
        try FixtureSplit.allCases.flatMap(load)
    }
}
