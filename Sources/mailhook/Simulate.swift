import ArgumentParser
import Foundation
import MailHookCore
import MailHookServer
import MailHookStore

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run routing over stored classifications with other settings; nothing is changed or sent.",
        discussion: """
            FILE holds a routing section (thresholds, categoryAdjustments, autoRespondCategories…), alone or as {"routing": {…}}.
            Prints, as JSON, how many emails each recorded decision would move to, and per new decision how often people's
            feedback says the category acted on was wrong.
            """)

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "The routing settings to try (JSON).")
    var routing: String

    @Option(name: .long, help: "Classifications of the last N days.")
    var days = 30

    func run() async throws {
        try await reportingFailures {
            guard (1...EmailHistoryQuery.maxDays).contains(days) else { throw CommandFailure("--days must be from 1 to \(EmailHistoryQuery.maxDays)") }
            let config = try options.loadMain()
            guard let data = FileManager.default.contents(atPath: routing) else { throw CommandFailure("cannot read \(routing)") }
            let json: JSONValue
            do {
                try JSONGuard.check(Array(data))
                json = try JSONValue.parse(Array(data))
            } catch {
                throw CommandFailure("\(routing) is not valid JSON")
            }
            let settings: MailHookConfiguration.Routing
            do {
                settings = try RoutingSimulator.routing(json)
            } catch {
                throw CommandFailure("\(routing): \(error)")
            }
            let logger = makeLogger(level: .error)
            let days = days
            let result = try await StoreFactory.withStore(config.database, logger: logger) { store in
                try await store.migrate()
                return try await RoutingSimulator.run(store: store, routing: settings, days: days)
            }
            print(JSONWriter.prettyText(result))
        }
    }
}
