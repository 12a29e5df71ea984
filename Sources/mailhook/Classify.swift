import ArgumentParser
import AsyncHTTPClient
import Foundation
import MailHookCore
import MailHookLLM
import MailHookServer

struct Classify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify one email and print the classification and routing decision as JSON.",
        discussion: """
            Input: the `message` object of a canonical email event ({"from": {"address": …}, "subject": …, "bodyText": …}),
            or a whole event containing one. PII is removed before the text reaches the classifier; the output shows
            how much was found, never what.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Email JSON file (default: standard input).")
    var file: String?

    func run() async throws {
        try await reportingFailures {
            let config = try options.loadMain()
            let classifierModel = try options.classifierModel(config)
            let data: Data
            if let file {
                guard let contents = FileManager.default.contents(atPath: file) else { throw CommandFailure("cannot read \(file)") }
                data = contents
            } else {
                data = FileHandle.standardInput.readDataToEndOfFile()
            }
            let json: JSONValue
            do {
                try JSONGuard.check(Array(data))
                json = try JSONValue.parse(Array(data))
            } catch {
                throw CommandFailure("the input is not valid JSON (\(error))")
            }
            let message = json["message"] ?? json
            guard message.objectValue != nil else { throw CommandFailure("expected an email object with subject and bodyText") }
            let subject = message["subject"]?.stringValue ?? ""
            let body = message["bodyText"]?.stringValue ?? message["bodyHtml"]?.stringValue.map(HTMLEntities.stripTags) ?? ""
            let sender = message["from"]?["address"]?.stringValue
            guard !subject.isEmpty || !body.isEmpty else { throw CommandFailure("the email has neither subject nor bodyText") }

            let sanitizer = Sanitizer()
            let cleanSubject = sanitizer.sanitize(subject)
            let cleanBody = sanitizer.sanitize(body)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .llmEndpoint())
            let logger = makeLogger(level: .error)
            let classifier = ClassifierFactory.make(configuration: config.classifier, httpClient: http, logger: logger, model: classifierModel)
            let outcome = await classifier.classify(ClassifierInput(
                subject: cleanSubject.text, body: cleanBody.text, senderDomain: sender.flatMap(EmailFilter.domain(of:))))
            try await http.shutdown()
            let routing = RoutingPolicy(config.routing).route(outcome.classification)

            var found: [String: Int] = [:]
            for kind in Sanitizer.Kind.allCases {
                let count = cleanSubject.count(kind) + cleanBody.count(kind)
                if count > 0 { found[kind.rawValue] = count }
            }
            struct Output: Encodable {
                let classification: Classification
                let routing: RoutingResult
                let pii_found: [String: Int]
                let fell_back: Bool
                let failure: String?
            }
            let output = Output(classification: outcome.classification, routing: routing, pii_found: found,
                                fell_back: outcome.fellBack, failure: outcome.failure)
            print(JSONWriter.prettyText(output))
        }
    }
}
