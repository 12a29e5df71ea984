import Foundation
import MailHookCore

/// The labelled IT emails under `Fixtures/emails/` (``LabelledEmail``): `tuning.jsonl` (the rules
/// were tuned on it), `heldout.jsonl` (written first, never used for tuning), `varied.jsonl`
/// (written later by other hands in other styles), `sectors.jsonl` (by other hands again, for four
/// other kinds of organisation) and `industries.jsonl` (written after the model was trained on the
/// first four, for four more); the rules were tuned on none of the last three.
enum FixtureSplit: String, Sendable, CaseIterable {
    case tuning
    case heldout
    case varied
    case sectors
    case industries
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

    /// `second-reading/urgency.jsonl`: the urgency of every fixture as a second reader gave it,
    /// reading each email blind (without its label) by the same guide (`Fixtures/emails/README.md`).
    static func secondReading() throws -> [String: Urgency] {
        let text = try String(contentsOf: directory.appendingPathComponent("second-reading/urgency.jsonl"), encoding: .utf8)
        var urgencies: [String: Urgency] = [:]
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            guard let id = object?["id"], let urgency = object?["urgency"].flatMap(Urgency.init(rawValue:)) else {
                throw CocoaError(.fileReadCorruptFile)
            }
            urgencies[id] = urgency
        }
        return urgencies
    }
}
