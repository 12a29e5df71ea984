import ArgumentParser
import Foundation
import MailHookCore
import MailHookServer
import MailHookStore

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put inbox items back for processing: every dead-lettered item, or one item by id.",
        discussion: "A running server picks them up within a second; attempts start again from zero.")

    @OptionGroup var options: ConfigOptions

    @Flag(name: .customLong("dead-letter"), help: "Replay every dead-lettered item (the default when no --id is given).")
    var deadLetter = false

    @Option(name: .long, help: "Replay the inbox item with this id.")
    var id: Int64?

    func run() async throws {
        try await reportingFailures {
            if deadLetter, id != nil { throw CommandFailure("use either --dead-letter or --id, not both") }
            let config = try options.loadMain()
            let logger = makeLogger(level: config.server.logLevel)
            let count = try await StoreFactory.withStore(config.database, logger: logger) { store in
                try await store.migrate()
                return try await store.replayInbox(id: id)
            }
            if let id, count == 0 { throw CommandFailure("no inbox item \(id) that can be replayed (unknown, or being processed right now)") }
            print("replayed \(count) item(s)")
        }
    }
}
