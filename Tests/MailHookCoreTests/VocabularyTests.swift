import Foundation
import MailHookCore
import Testing

/// The closed vocabularies: one place defines each (`Sources/MailHookCore/Vocabulary/`), the
/// migrations document the same values for every column that stores them, and no status, mode
/// or kind is spelled as a string literal elsewhere in the product.
@Suite("Vocabulary")
struct VocabularyTests {
    /// Each documented column and the enum whose raw values it stores.
    static let columns: [String: [String]] = [
        "inbox.source": InboxSource.names,
        "inbox.kind": InboxKind.names,
        "inbox.status": InboxStatus.names,
        "subscriptions.status": SubscriptionStatus.names,
        "action_records.action": ActionKind.names,
        "action_records.mode": ActionMode.names,
        "action_records.status": ActionStatus.names,
        "processing_results.status": ProcessingStatus.names,
        "email_messages.processing_status": ProcessingStatus.names,
        "processing_results.error_stage": PipelineStage.names,
        "processing_results.action_taken": ActionTaken.names,
        "classification_results.category": Category.names,
        "classification_results.urgency": Urgency.names,
        "performance_metrics.metric_type": MetricType.names,
        "email_patterns.pattern_type": PatternType.names,
        "pattern_observations.pattern_type": PatternType.names,
        "pattern_observations.category": Category.names,
        "classification_feedback.rating": FeedbackRating.names,
        "classification_feedback.correct_category": Category.names,
    ]

    /// `-- vocabulary: table.column = a | b | c` lines of one dialect's migrations; a later file wins.
    static func documented(dialect: String) throws -> [String: [String]] {
        let directory = packageRoot.appendingPathComponent("Schemas/migrations/\(dialect)")
        var found: [String: [String]] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).filter({ $0.hasSuffix(".sql") }).sorted() {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "-- vocabulary: ") else { continue }
                let parts = line[range.upperBound...].split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                found[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        return found
    }

    @Test("the migrations document exactly the enums' values for every vocabulary column", arguments: ["sqlite", "postgres"])
    func migrationsMatchEnums(dialect: String) throws {
        let documented = try Self.documented(dialect: dialect)
        #expect(Set(documented.keys) == Set(Self.columns.keys))
        for (column, names) in Self.columns {
            #expect(documented[column] == names, "\(dialect): \(column)")
        }
    }

    /// Vocabularies whose raw values are distinctive enough to find as literals.
    static let scanned: [String] = InboxStatus.names + InboxKind.names + ProcessingStatus.names + ActionKind.names + ActionMode.names
        + ActionStatus.names + SubscriptionStatus.names + TeamsMode.names + ClassifierProvider.names + ActionTaken.names + MetricType.names

    @Test("no status, mode or kind is written as a string literal outside its enum")
    func noStrayLiterals() throws {
        let sources = Self.packageRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String }.filter {
            // Graph's own field names (`"flag"`) and the offline classifier's cue words are not our vocabulary.
            $0.hasSuffix(".swift") && !$0.hasPrefix("MailHookCore/Vocabulary/") && !$0.hasPrefix("MailHookGraph/")
                && !$0.hasSuffix("LocalClassifier+Rules.swift")
        } ?? []
        #expect(files.count > 50)
        var stray: [String] = []
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                // Doc comments may name values; an enum case's raw value is a definition.
                if code.hasPrefix("//") || code.range(of: #"^case \w+ = ""#, options: .regularExpression) != nil { continue }
                for name in Self.scanned where line.contains("\"\(name)\"") {
                    stray.append("\(file):\(number + 1): \"\(name)\"")
                }
            }
        }
        #expect(stray.isEmpty, "\(stray.joined(separator: "\n"))")
    }

    /// The package root: the nearest directory above this file that holds Package.swift.
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<8 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            directory.deleteLastPathComponent()
        }
        return directory
    }()
}
