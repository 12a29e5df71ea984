import Foundation
import MailHookCore

/// A small JSON Schema (draft 2020-12) validator covering only the keywords MailHook's own schemas
/// use, so the tests can check the shipped examples without a third-party dependency.
/// `unsupportedKeywords()` lists anything else a schema uses, so nothing is skipped silently.
struct JSONSchemaValidator {
    /// Assertions this validator checks, plus annotations it may safely ignore.
    static let supportedKeywords: Set<String> = [
        "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "items",
        "properties", "required", "additionalProperties", "patternProperties",
        "allOf", "anyOf", "oneOf", "if", "then", "else", "$ref",
        "$schema", "$id", "$defs", "title", "description", "default",
    ]

    let root: JSONValue

    init(schema: JSONValue) {
        root = schema
    }

    init(contentsOf url: URL) throws {
        root = try JSONValue.parse(Data(contentsOf: url))
    }

    /// One message per problem, each starting with the JSON path of the offending value (`$.a.b[0]`).
    func validate(_ instance: JSONValue) -> [String] {
        errors(instance, root, at: "$")
    }

    /// The schema found at a local reference such as `#/$defs/envRef`.
    func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node: JSONValue? = root
        for token in ref.dropFirst().split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = node?[key]
        }
        return node
    }

    /// Keywords the schema uses that `validate` would ignore, as `location: keyword`.
    func unsupportedKeywords() -> [String] {
        var found: [String] = []
        func walk(_ schema: JSONValue, _ location: String) {
            guard let s = schema.objectValue else { return }
            for key in s.keys.sorted() where !Self.supportedKeywords.contains(key) { found.append("\(location): \(key)") }
            for key in ["additionalProperties", "items", "if", "then", "else"] {
                if let sub = s[key] { walk(sub, "\(location)/\(key)") }
            }
            for key in ["properties", "patternProperties", "$defs"] {
                for (name, sub) in s[key]?.objectValue ?? [:] { walk(sub, "\(location)/\(key)/\(name)") }
            }
            for key in ["allOf", "anyOf", "oneOf"] {
                for (index, sub) in (s[key]?.arrayValue ?? []).enumerated() { walk(sub, "\(location)/\(key)/\(index)") }
            }
        }
        walk(root, "#")
        return found
    }

    // MARK: - Checking

    private func errors(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        switch schema {
        case .bool(true): return []
        case .bool(false): return ["\(path): no value is allowed here"]
        case .object(let s): return errors(value, s, at: path)
        default: return ["\(path): the schema here is not an object or a boolean"]
        }
    }

    private func errors(_ value: JSONValue, _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        if let ref = s["$ref"]?.stringValue {
            if let target = resolve(ref) {
                out += errors(value, target, at: path)
            } else {
                out.append("\(path): cannot resolve $ref \(ref)")
            }
        }
        if let type = s["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            guard names.contains(where: { Self.value(value, hasType: $0) }) else {
                // The remaining keywords would only restate the mismatch.
                return out + ["\(path): expected \(names.joined(separator: " or ")), got \(value.typeName)"]
            }
        }
        if let constant = s["const"], constant != value {
            out.append("\(path): must be \(constant.jsonText()), got \(value.jsonText())")
        }
        if let allowed = s["enum"]?.arrayValue, !allowed.contains(value) {
            out.append("\(path): must be one of \(allowed.map { $0.jsonText() }.joined(separator: ", ")), got \(value.jsonText())")
        }
        switch value {
        case .string(let text): out += stringErrors(text, s, at: path)
        case .number(let number): out += numberErrors(number, s, at: path)
        case .array(let items): out += arrayErrors(items, s, at: path)
        case .object(let members): out += objectErrors(members, s, at: path)
        default: break
        }
        out += combinatorErrors(value, s, at: path)
        return out
    }

    private func stringErrors(_ text: String, _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        // JSON Schema counts length in code points, not grapheme clusters.
        let length = text.unicodeScalars.count
        if case .number(let min)? = s["minLength"], Double(length) < min {
            out.append("\(path): must be at least \(Int(min)) characters long")
        }
        if case .number(let max)? = s["maxLength"], Double(length) > max {
            out.append("\(path): must be at most \(Int(max)) characters long")
        }
        if let pattern = s["pattern"]?.stringValue {
            switch Self.matches(text, pattern) {
            case true?: break
            case false?: out.append("\(path): \(JSONValue.string(text).jsonText()) does not match the pattern \(pattern)")
            case nil: out.append("\(path): the schema's pattern \(pattern) is not a valid regular expression")
            }
        }
        return out
    }

    private func numberErrors(_ number: Double, _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        if case .number(let min)? = s["minimum"], number < min {
            out.append("\(path): \(Self.text(number)) is below the minimum \(Self.text(min))")
        }
        if case .number(let max)? = s["maximum"], number > max {
            out.append("\(path): \(Self.text(number)) is above the maximum \(Self.text(max))")
        }
        return out
    }

    private func arrayErrors(_ items: [JSONValue], _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        if case .number(let min)? = s["minItems"], Double(items.count) < min {
            out.append("\(path): must have at least \(Int(min)) items")
        }
        if let itemSchema = s["items"] {
            for (index, item) in items.enumerated() { out += errors(item, itemSchema, at: "\(path)[\(index)]") }
        }
        return out
    }

    private func objectErrors(_ members: [String: JSONValue], _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        for key in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[key] == nil {
            out.append("\(path).\(key): required property is missing")
        }
        let properties = s["properties"]?.objectValue ?? [:]
        let patterns = s["patternProperties"]?.objectValue ?? [:]
        for key in members.keys.sorted() {
            guard let member = members[key] else { continue }
            let memberPath = "\(path).\(key)"
            var covered = false
            if let sub = properties[key] {
                covered = true
                out += errors(member, sub, at: memberPath)
            }
            for (pattern, sub) in patterns where Self.matches(key, pattern) == true {
                covered = true
                out += errors(member, sub, at: memberPath)
            }
            // additionalProperties applies only to members neither of the above covered.
            guard !covered, let additional = s["additionalProperties"] else { continue }
            if additional == .bool(false) {
                out.append("\(memberPath): unknown property (known: \(properties.keys.sorted().joined(separator: ", ")))")
            } else {
                out += errors(member, additional, at: memberPath)
            }
        }
        return out
    }

    private func combinatorErrors(_ value: JSONValue, _ s: [String: JSONValue], at path: String) -> [String] {
        var out: [String] = []
        for sub in s["allOf"]?.arrayValue ?? [] { out += errors(value, sub, at: path) }
        if let alternatives = s["anyOf"]?.arrayValue {
            let failures = alternatives.map { errors(value, $0, at: path) }
            if !failures.contains(where: \.isEmpty) { out.append(noneMatched(failures, at: path)) }
        }
        if let alternatives = s["oneOf"]?.arrayValue {
            let failures = alternatives.map { errors(value, $0, at: path) }
            switch failures.filter(\.isEmpty).count {
            case 0: out.append(noneMatched(failures, at: path))
            case 1: break
            default: out.append("\(path): matches more than one alternative of oneOf")
            }
        }
        if let condition = s["if"] {
            let branch = errors(value, condition, at: path).isEmpty ? s["then"] : s["else"]
            if let branch { out += errors(value, branch, at: path) }
        }
        return out
    }

    /// One line for a failed anyOf/oneOf, quoting why each alternative failed.
    private func noneMatched(_ failures: [[String]], at path: String) -> String {
        let reasons = failures.map { alternative in
            alternative.map { $0.hasPrefix(path + ": ") ? String($0.dropFirst(path.count + 2)) : $0 }.joined(separator: "; ")
        }
        return "\(path): matches no alternative (\(reasons.joined(separator: " | ")))"
    }

    // MARK: - Helpers

    private static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            true
        case ("integer", .number(let n)):
            n.isFinite && n.rounded() == n
        default:
            false
        }
    }

    /// Unanchored, as in JSON Schema; nil when the pattern does not compile.
    private static func matches(_ text: String, _ pattern: String) -> Bool? {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    private static func text(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
