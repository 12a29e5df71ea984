import AsyncHTTPClient
import Foundation
import Logging
import MailHookCore
import MailHookStore
import MailHookTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// `mailhook train` and `classifier.modelFile` through the real binary: the server classifies with
/// the built-in model, feedback given through the admin API becomes training data, a trained file
/// is used by `classify`, and a broken file stops every command before it starts.
@Suite("mailhook train")
struct TrainCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MailHookCoreTests/Fixtures/emails")

    static func feedback(port: Int, emailId: String, category: String) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/analytics/feedback")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Authorization", value: "Bearer train-admin-token")
        request.body = .bytes(ByteBuffer(string: #"{"email_id": "\#(emailId)", "correct_category": "\#(category)", "rating": "wrong"}"#))
        let response = try await HTTPClient.test.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 16)
        return Int(response.status.code)
    }

    static func writeConfig(_ directory: URL, database: MailHookConfiguration.Database, modelFile: String?) throws {
        let model = modelFile.map { #", "classifier": {"modelFile": "\#($0)"}"# } ?? ""
        let main = #"{"server": {"port": 0}, "database": {"url": "\#(database.configURL)"}, "admin": {"token": "train-admin-token"}\#(model)}"#
        try Data(main.utf8).write(to: directory.appendingPathComponent("Config/mailhook.json"))
    }

    @Test("the server uses the built-in model; feedback trains a model file that classify then uses")
    func feedbackTrainsAModel() async throws {
        let database = MailHookConfiguration.Database(url: .sqlite(path: "data/train.sqlite"))
        let directory = ProcessTests.workspace(database: database)
        try Self.writeConfig(directory, database: database, modelFile: nil)
        let env = ["HELPDESK_SECRET": ProcessTests.secret]
        let server = try MailHookProcess(arguments: ["serve"], environment: env, directory: directory)
        let port = try await server.waitUntilListening()
        for n in 1...3 { #expect(try await ProcessTests.post(port: port, id: "train-\(n)") == 202) }
        let stored = MailHookConfiguration.Database(url: .sqlite(path: directory.appendingPathComponent("data/train.sqlite").path))
        let classifications = try await StoreFactory.withStore(stored, logger: Logger(label: "test")) { store in
            try await eventually { try await store.tableRows(.classificationResults, limit: 10).count == 3 }
            return try await store.tableRows(.classificationResults, limit: 10)
        }
        for row in classifications {
            #expect(row["model_used"]?.stringValue == LocalClassifier.trainedModelName)
            #expect(row["prompt_version"]?.stringValue == LocalClassifier.rulesVersion + "+builtin-2")
        }
        for row in classifications {
            let id = try #require(row["email_id"]?.stringValue)
            #expect(try await Self.feedback(port: port, emailId: id, category: "ESCALATION") == 201)
        }
        server.signal(SIGTERM)
        #expect(await server.waitForExit() == 0)

        let model = directory.appendingPathComponent("site.json").path
        let disagreements = directory.appendingPathComponent("disagreements.jsonl")
        let (status, out, err) = try await MailHookProcess.run(
            ["train", "--fixtures", Self.fixtures.appendingPathComponent("heldout.jsonl").path, "--feedback", "--output", model,
             "--name", "site-2", "--cross-validate", "5", "--disagreements", disagreements.path],
            directory: directory)
        #expect(status == 0, "\(err)")
        #expect(out.contains("examples: 103 (100 from fixtures, 3 from feedback)"), "\(out)")
        #expect(out.contains("category accuracy"), "the cross-validation table is printed")
        #expect(out.contains("| labelled urgency, chosen: | LOW | MEDIUM | HIGH | CRITICAL |"), "\(out)")
        #expect(out.contains("| **15 %** (default) |") && out.contains("| 25 % |"), "the CRITICAL trade-off is printed: \(out)")

        // A site's own threshold is the one cross-validation uses, and is marked among the others.
        let sited = #"{"database": {"url": "\#(database.configURL)"}, "classifier": {"criticalFromPercent": 35}}"#
        let sitedConfig = directory.appendingPathComponent("sited.json")
        try Data(sited.utf8).write(to: sitedConfig)
        let (sitedStatus, sitedOut, sitedErr) = try await MailHookProcess.run(
            ["train", "--config", sitedConfig.path, "--fixtures", Self.fixtures.appendingPathComponent("heldout.jsonl").path, "--cross-validate", "3"],
            directory: directory)
        #expect(sitedStatus == 0, "\(sitedErr)")
        #expect(sitedOut.contains("CRITICAL from 35 %"), "\(sitedOut)")
        #expect(sitedOut.contains("| **35 %** (configured) |") && sitedOut.contains("| 15 % (default) |"), "\(sitedOut)")
        // Every line names one of the examples whose label the cross-validated model did not give.
        let lines = try String(contentsOf: disagreements, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty && out.contains("\(lines.count) disagreements written to"), "\(out)")
        let rows = try lines.map { try JSONValue.parse(Array($0.utf8)) }
        let heldout = try LabelledEmail.parseLines(
            String(contentsOf: Self.fixtures.appendingPathComponent("heldout.jsonl"), encoding: .utf8), source: "heldout.jsonl")
        let known = Set(heldout.map(\.id) + classifications.compactMap { $0["email_id"]?.stringValue })
        #expect(Set(rows.compactMap { $0["id"]?.stringValue }).count == rows.count)
        #expect(rows.allSatisfy { known.contains($0["id"]?.stringValue ?? "") })
        #expect(rows.allSatisfy { $0["labelled_category"] != $0["chosen_category"] || $0["labelled_urgency"] != $0["chosen_urgency"] })
        let (noCV, _, noCVErr) = try await MailHookProcess.run(
            ["train", "--fixtures", Self.fixtures.appendingPathComponent("heldout.jsonl").path, "--cross-validate", "0", "--disagreements", disagreements.path],
            directory: directory)
        #expect(noCV == 1 && noCVErr.contains("--disagreements needs --cross-validate"), "\(noCVErr)")
        let trained = try ClassifierModel.load(try Data(contentsOf: URL(fileURLWithPath: model)))
        #expect(trained.trainedOn.feedback == 3)
        #expect(trained.name == "site-2")

        try Self.writeConfig(directory, database: database, modelFile: model)
        let email = #"{"message": {"from": {"address": "ann@zgcompanies.com"}, "subject": "Quote for 20 laptops", "bodyText": "Please order 20 laptops for the new starters."}}"#
        let file = directory.appendingPathComponent("email.json")
        try Data(email.utf8).write(to: file)
        let (classifyStatus, classified, classifyErr) = try await MailHookProcess.run(["classify", "--file", file.path], directory: directory)
        #expect(classifyStatus == 0, "\(classifyErr)")
        let result = try JSONValue.parse(Array(classified.utf8))
        #expect(result["classification"]?["model_used"]?.stringValue == LocalClassifier.trainedModelName)
        #expect(result["classification"]?["prompt_version"]?.stringValue == LocalClassifier.rulesVersion + "+site-2")
        #expect(result["classification"]?["category"]?.stringValue == "PURCHASING")

        // What-if routing over the same database, from the command line.
        let routingFile = directory.appendingPathComponent("routing.json")
        try Data(#"{"routing": {"thresholds": {"autoHandle": 99, "suggestResponse": 98, "humanReview": 97}}}"#.utf8).write(to: routingFile)
        let (simulateStatus, simulated, simulateErr) = try await MailHookProcess.run(["simulate", "--routing", routingFile.path, "--days", "7"], directory: directory)
        #expect(simulateStatus == 0, "\(simulateErr)")
        let simulation = try JSONValue.parse(Array(simulated.utf8))
        #expect(simulation["emails"] == .number(3))
        #expect(simulation["outcomes"]?.arrayValue?.allSatisfy { $0["decision"]?.stringValue == "ESCALATE" } == true, "\(simulated)")
        #expect(simulation["outcomes"]?.arrayValue?.first?["wrong"] == .number(3), "the feedback said ESCALATION for all three")
        try Data(#"{"thresholds": {"humanReview": 200}}"#.utf8).write(to: routingFile)
        let (badStatus, _, badErr) = try await MailHookProcess.run(["simulate", "--routing", routingFile.path], directory: directory)
        #expect(badStatus == 1 && badErr.contains("routing.thresholds.humanReview"), "\(badErr)")

        try Self.writeConfig(directory, database: database, modelFile: "none")
        let (_, rulesOnly, _) = try await MailHookProcess.run(["classify", "--file", file.path], directory: directory)
        #expect(try JSONValue.parse(Array(rulesOnly.utf8))["classification"]?["model_used"]?.stringValue == LocalClassifier.modelName)
    }

    @Test("a broken or missing model file stops serve, classify and check-config with a message naming the key")
    func brokenModelFile() async throws {
        let database = MailHookConfiguration.Database(url: .sqlite(path: "data/broken.sqlite"))
        let directory = ProcessTests.workspace(database: database)
        let broken = directory.appendingPathComponent("broken.json")
        try Data(#"{"format": "mailhook-classifier-model", "version": 1, "name": "x", "trainedOn": {}, "category": {}, "urgency": {}}"#.utf8).write(to: broken)
        for path in [broken.path, directory.appendingPathComponent("missing.json").path] {
            try Self.writeConfig(directory, database: database, modelFile: path)
            for arguments in [["serve"], ["check-config"], ["classify", "--file", broken.path]] {
                let (status, _, err) = try await MailHookProcess.run(arguments, environment: ["HELPDESK_SECRET": "s"], directory: directory)
                #expect(status == 1, "\(arguments) \(err)")
                #expect(err.contains("classifier.modelFile"), "\(arguments): \(err)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("data/broken.sqlite").path), "serve stopped before opening the database")
    }
}
