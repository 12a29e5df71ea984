/// A configuration problem, always naming the key path it concerns.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String?
    public let keyPath: String
    public let problem: String

    public init(file: String? = nil, keyPath: String, problem: String) {
        self.file = file
        self.keyPath = keyPath
        self.problem = problem
    }

    public var description: String {
        let location = file.map { "\($0): " } ?? ""
        return keyPath.isEmpty ? "\(location)\(problem)" : "\(location)\(keyPath): \(problem)"
    }

    public func inFile(_ file: String) -> ConfigError { ConfigError(file: file, keyPath: keyPath, problem: problem) }
}
