import ArgumentParser
import Foundation
import MailHookCore
import MailHookStore

struct Train: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the offline classifier's model from labelled emails and feedback, and report cross-validated accuracy.",
        discussion: """
            Examples are JSON Lines files ({"id", "subject", "body", "category", "urgency"?} per line) and, with --feedback, each
            email's latest classification feedback in the configured database. The model file is what classifier.modelFile
            names; the built-in one is trained from Tests/MailHookCoreTests/Fixtures/emails/*.jsonl with --name builtin-2.
            Cross-validation calls an email CRITICAL from the configured classifier.criticalFromPercent and shows what other
            thresholds would give.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "A labelled JSON Lines file (repeatable).")
    var fixtures: [String] = []

    @Flag(name: .long, help: "Also learn from the feedback stored in the configured database.")
    var feedback = false

    @Option(name: .long, help: "Where to write the model file (nothing is written without it).")
    var output: String?

    @Option(name: .long, help: "The model's name, recorded with every classification it takes part in.")
    var name = "trained"

    @Option(name: .long, help: "Report k-fold cross-validated accuracy over the examples (0: do not).")
    var crossValidate = 10

    @Option(name: .long, help: "With cross-validation: write each email whose label it disagreed with to this JSON Lines file.")
    var disagreements: String?

    @Option(name: .long, help: "Leave out words seen in fewer training emails.")
    var minDocuments = 2

    func run() async throws {
        try await reportingFailures {
            var examples: [LabelledEmail] = []
            for path in fixtures {
                guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
                do {
                    examples += try LabelledEmail.parseLines(String(decoding: data, as: UTF8.self), source: path)
                } catch let error as LabelledEmail.Invalid {
                    throw CommandFailure(error.description)
                }
            }
            let fixtureCount = examples.count
            // The site's configuration (all defaults when there is no file): its CRITICAL threshold, and with --feedback its database.
            let config = try options.loadMain()
            if feedback {
                let logger = makeLogger(level: .error)
                examples += try await StoreFactory.withStore(config.database, logger: logger) { store in
                    try await store.migrate()
                    return try await store.feedbackExamples(limit: 1_000_000)
                }
            }
            guard !examples.isEmpty else { throw CommandFailure("no examples: give --fixtures FILE and/or --feedback") }
            guard Set(examples.map(\.category)).count > 1 else { throw CommandFailure("the examples need at least two categories") }
            guard (1...100).contains(minDocuments) else { throw CommandFailure("--min-documents must be in 1...100") }
            guard disagreements == nil || crossValidate >= 2 else { throw CommandFailure("--disagreements needs --cross-validate 2 or more") }
            let trainer = ClassifierTrainer(minimumDocuments: minDocuments)
            print("examples: \(examples.count) (\(fixtureCount) from fixtures, \(examples.count - fixtureCount) from feedback)")
            if crossValidate >= 2 {
                let percent = config.classifier.criticalFromPercent
                let evaluation = ClassifierEvaluation.crossValidate(
                    examples, folds: min(crossValidate, examples.count), trainer: trainer, criticalFromPercent: percent)
                print("\(crossValidate)-fold cross-validated (each email classified by a model that never saw it; CRITICAL from \(percent) %):\n")
                print(evaluation.table())
                print("\nThe same emails with CRITICAL from other likelihoods (classifier.criticalFromPercent, now \(percent)):\n")
                print(evaluation.criticalTradeoff.table())
                print("")
                if let disagreements {
                    try write(evaluation.disagreements, to: disagreements)
                    print("\(evaluation.disagreements.count) disagreements written to \(disagreements)\n")
                }
            }
            let model = trainer.train(examples, feedback: examples.count - fixtureCount, name: name)
            do {
                try model.validate()
            } catch {
                throw CommandFailure("\(error)")
            }
            if let output {
                do {
                    try model.encoded().write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw CommandFailure("cannot write \(output)")
                }
                print("model \(name): \(model.category.weights.count) category inputs, \(model.urgency.weights.count) urgency inputs, written to \(output)")
            }
        }
    }

    /// One JSON object per line, keys sorted, so two runs diff cleanly.
    private func write(_ rows: [ClassifierDisagreement], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        for row in rows {
            text += try encoder.encode(row)
            text.append(0x0A)
        }
        do {
            try text.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure("cannot write \(path)")
        }
    }
}
