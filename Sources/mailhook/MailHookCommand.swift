import ArgumentParser
import Foundation
import Logging
import MailHookCore
import MailHookServer
import MailHookStore

@main
struct MailHookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailhook",
        abstract: "Webhook receiver for Microsoft Graph mail notifications and third-party email events.",
        subcommands: [Serve.self, Migrate.self, CheckConfig.self, Subscriptions.self, Replay.self, Classify.self, Train.self, Simulate.self],
        defaultSubcommand: Serve.self)
}

struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: $MAILHOOK_CONFIG or Config/mailhook.json).")
    var config: String?

    @Option(name: .long, help: "Integrations file (default: $MAILHOOK_INTEGRATIONS or Config/integrations.json).")
    var integrations: String?

    /// The main configuration alone, for commands that mount no webhook endpoints.
    func loadMain() throws -> MailHookConfiguration {
        do {
            return try ConfigurationLoader.loadMain(configPath: config)
        } catch {
            throw CommandFailure("invalid configuration: \(error)")
        }
    }

    func load() throws -> (MailHookConfiguration, IntegrationsConfiguration) {
        do {
            return try ConfigurationLoader.load(configPath: config, integrationsPath: integrations)
        } catch {
            throw CommandFailure("invalid configuration: \(error)")
        }
    }
}

/// A failure reported as one line on stderr and a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning any failure into one clear stderr line and exit code 1.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CommandFailure {
            FileHandle.standardError.write(Data("mailhook: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("mailhook: invalid configuration: \(error)\n".utf8))
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("mailhook: \(PrintableLogHandler.printable(String(describing: error)))\n".utf8))
            throw ExitCode(1)
        }
    }
}

func makeLogger(level: LogLevel) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
        return PrintableLogHandler(handler)
    }
    var logger = Logger(label: "mailhook")
    logger.logLevel = Logger.Level(rawValue: level.rawValue) ?? .info
    return logger
}

extension ConfigOptions {
    /// The trained model `classifier.modelFile` names, loaded and checked before anything starts.
    func classifierModel(_ config: MailHookConfiguration) throws -> ClassifierModel? {
        do {
            return try ClassifierModelLoader.load(config.classifier.modelFile)
        } catch {
            throw CommandFailure("invalid configuration: classifier.modelFile: \(error)")
        }
    }
}
