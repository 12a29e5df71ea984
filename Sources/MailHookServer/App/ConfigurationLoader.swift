import Foundation
import MailHookCore

/// Reads the two configuration files and resolves them against the environment.
public enum ConfigurationLoader {
    public static let defaultConfigPath = "Config/mailhook.json"
    public static let defaultIntegrationsPath = "Config/integrations.json"

    /// `path` nil means the default (or `MAILHOOK_CONFIG`); a missing default file means all
    /// defaults, a missing named file is an error.
    public static func load(
        configPath: String?, integrationsPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> (MailHookConfiguration, IntegrationsConfiguration) {
        let mainPath = configPath ?? environment["MAILHOOK_CONFIG"]
        let mainRoot = try readJSON(path: mainPath ?? defaultConfigPath, required: mainPath != nil)
        let configuration: MailHookConfiguration
        do {
            configuration = try MailHookConfiguration(root: mainRoot ?? .object([:]), environment: environment)
        } catch {
            throw error.inFile(mainPath ?? defaultConfigPath)
        }
        let integrationsFile = integrationsPath ?? environment["MAILHOOK_INTEGRATIONS"]
        let integrationsRoot = try readJSON(path: integrationsFile ?? defaultIntegrationsPath, required: integrationsFile != nil)
        let integrations: IntegrationsConfiguration
        do {
            integrations = try integrationsRoot.map { root throws(ConfigError) in try IntegrationsConfiguration(root: root, environment: environment) } ?? .empty
        } catch {
            throw error.inFile(integrationsFile ?? defaultIntegrationsPath)
        }
        return (configuration, integrations)
    }

    /// The main configuration only (commands that mount no webhook endpoints).
    public static func loadMain(configPath: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> MailHookConfiguration {
        let mainPath = configPath ?? environment["MAILHOOK_CONFIG"]
        let root = try readJSON(path: mainPath ?? defaultConfigPath, required: mainPath != nil)
        do {
            return try MailHookConfiguration(root: root ?? .object([:]), environment: environment)
        } catch {
            throw error.inFile(mainPath ?? defaultConfigPath)
        }
    }

    static func readJSON(path: String, required: Bool) throws(ConfigError) -> JSONValue? {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw ConfigError(file: path, keyPath: "", problem: "file not found") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", problem: "cannot read the file")
        }
        do {
            try JSONGuard.check(data)
            return try JSONValue.parse(data)
        } catch let failure as JSONGuard.Failure {
            throw ConfigError(file: path, keyPath: "", problem: failure.description)
        } catch {
            throw ConfigError(file: path, keyPath: "", problem: "not valid JSON (\(error))")
        }
    }
}
