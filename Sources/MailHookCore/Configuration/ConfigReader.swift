import Foundation

/// Reads typed values out of a JSON configuration document by dotted key path, resolving
/// `${VAR}` and `${VAR:-default}` from the environment at the moment a value is read. A missing
/// variable is therefore only an error for keys that an enabled part actually reads.
public struct ConfigReader: Sendable {
    public let root: JSONValue
    public let environment: [String: String]
    private let path: [String]

    public init(root: JSONValue, environment: [String: String], path: [String] = []) {
        self.root = root
        self.environment = environment
        self.path = path
    }

    public var keyPath: String { path.joined(separator: ".") }

    func keyPath(_ key: String) -> String { (path + [key]).joined(separator: ".") }

    /// The reader for a nested object (which may be absent).
    public func scoped(_ key: String) throws(ConfigError) -> ConfigReader {
        let child = ConfigReader(root: root, environment: environment, path: path + [key])
        if let value = child.node(), value != .null, value.objectValue == nil {
            throw ConfigError(keyPath: child.keyPath, problem: "expected an object, got \(value.typeName)")
        }
        return child
    }

    func node() -> JSONValue? {
        var current: JSONValue? = root
        for key in path {
            // `name[3]` steps into an array element (see ``element(_:)``).
            if key.hasSuffix("]"), let open = key.lastIndex(of: "["), let index = Int(key[key.index(after: open)..<key.index(before: key.endIndex)]) {
                guard let array = current?[String(key[..<open])]?.arrayValue, array.indices.contains(index) else { return nil }
                current = array[index]
            } else {
                current = current?[key]
            }
        }
        return current
    }

    /// The reader for a nested value of any type (an array to take ``element(_:)``s of).
    public func child(_ key: String) -> ConfigReader {
        ConfigReader(root: root, environment: environment, path: path + [key])
    }

    /// The reader for element `index` of this reader's array (its key path reads `name[index]`).
    public func element(_ index: Int) -> ConfigReader {
        guard let last = path.last else { return self }
        return ConfigReader(root: root, environment: environment, path: path.dropLast() + ["\(last)[\(index)]"])
    }

    public func raw(_ key: String) -> JSONValue? {
        guard let value = node()?[key], value != .null else { return nil }
        return value
    }

    public func contains(_ key: String) -> Bool { raw(key) != nil }

    /// Fails on keys this section does not know, so a typo is an error rather than a silent default.
    public func rejectUnknownKeys(_ known: Set<String>) throws(ConfigError) {
        guard let object = node()?.objectValue else { return }
        for key in object.keys.sorted() where !known.contains(key) && !key.hasPrefix("$") && !key.hasPrefix("_") {
            throw ConfigError(keyPath: keyPath(key), problem: "unknown key (known keys: \(known.sorted().joined(separator: ", ")))")
        }
    }

    // MARK: - Interpolation

    /// Replaces `${VAR}` / `${VAR:-default}`; throws naming the key and the variable when unset.
    public func interpolate(_ text: String, key: String) throws(ConfigError) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigError(keyPath: keyPath(key), problem: "unterminated ${ in value")
            }
            let expression = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let sep = expression.range(of: ":-") {
                name = expression[..<sep.lowerBound]
                fallback = expression[sep.upperBound...]
            } else {
                name = expression
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else {
                throw ConfigError(keyPath: keyPath(key), problem: "invalid environment variable reference ${\(expression)}")
            }
            if let value = environment[String(name)], !value.isEmpty {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                throw ConfigError(keyPath: keyPath(key), problem: "environment variable \(name) is not set")
            }
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return out
    }

    // MARK: - Typed getters

    public func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = raw(key) else { return nil }
        switch value {
        case .string(let s): return try interpolate(s, key: key)
        case .number(let n): return n.rounded() == n ? String(Int64(n)) : String(n)
        case .bool(let b): return String(b)
        default: throw ConfigError(keyPath: keyPath(key), problem: "expected a string, got \(value.typeName)")
        }
    }

    public func string(_ key: String, default fallback: String) throws(ConfigError) -> String {
        try string(key) ?? fallback
    }

    /// A string that is absent, empty, or only an unset `${VAR}` reads as nil (used to decide
    /// whether an optional feature is configured at all).
    public func optionalString(_ key: String) throws(ConfigError) -> String? {
        do {
            let s = try string(key)
            return s?.isEmpty == true ? nil : s
        } catch where error.problem.hasPrefix("environment variable") {
            if case .string(let text) = raw(key), text.hasPrefix("${"), text.hasSuffix("}"), text.dropFirst(2).dropLast().allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) {
                return nil
            }
            throw error
        }
    }

    public func secret(_ key: String) throws(ConfigError) -> Secret? {
        try string(key).map(Secret.init)
    }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let (number, value) = try number(key) else { return fallback }
        guard number.rounded() == number, let int = Int(exactly: number) else {
            throw ConfigError(keyPath: keyPath(key), problem: "expected a whole number, got \(value.jsonText())")
        }
        guard range.contains(int) else {
            throw ConfigError(keyPath: keyPath(key), problem: "\(int) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return int
    }

    public func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let (number, _) = try number(key) else { return fallback }
        guard range.contains(number) else {
            throw ConfigError(keyPath: keyPath(key), problem: "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A number, or a string (after interpolation) that reads as one.
    private func number(_ key: String) throws(ConfigError) -> (Double, JSONValue)? {
        guard let value = raw(key) else { return nil }
        let number: Double?
        switch value {
        case .number(let n): number = n
        case .string(let s): number = Double(try interpolate(s, key: key).trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number, number.isFinite else {
            throw ConfigError(keyPath: keyPath(key), problem: "expected a number, got \(value.jsonText())")
        }
        return (number, value)
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let value = raw(key) else { return fallback }
        switch value {
        case .bool(let b): return b
        case .string(let s):
            switch try interpolate(s, key: key).lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: break
            }
        default: break
        }
        throw ConfigError(keyPath: keyPath(key), problem: "expected true or false, got \(value.jsonText())")
    }

    public func stringArray(_ key: String) throws(ConfigError) -> [String] {
        guard let value = raw(key) else { return [] }
        guard let items = value.arrayValue else {
            throw ConfigError(keyPath: keyPath(key), problem: "expected an array of strings, got \(value.typeName)")
        }
        var out: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw ConfigError(keyPath: "\(keyPath(key))[\(index)]", problem: "expected a string, got \(item.typeName)")
            }
            out.append(try interpolate(s, key: "\(key)[\(index)]"))
        }
        return out
    }

    /// One of a closed vocabulary, by its raw value.
    public func choice<V: Vocabulary>(_ key: String, default fallback: V) throws(ConfigError) -> V {
        V(rawValue: try oneOf(key, V.names, default: fallback.rawValue)) ?? fallback
    }

    public func oneOf(_ key: String, _ allowed: [String], default fallback: String) throws(ConfigError) -> String {
        let value = try string(key) ?? fallback
        guard allowed.contains(value) else {
            throw ConfigError(keyPath: keyPath(key), problem: "\"\(value)\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return value
    }
}
