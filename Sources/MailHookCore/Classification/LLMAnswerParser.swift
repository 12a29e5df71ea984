import Foundation

/// Why an LLM answer could not be used. Each case names the field, so the pipeline can record a
/// precise `error_message` before it falls back to the offline classifier.
public enum LLMAnswerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text contains no `{…}` at all.
    case noJSONObject
    /// Something object-shaped was found but none of it parses as JSON.
    case invalidJSON(String)
    case missingField(String)
    case invalidField(String, problem: String)
    /// The confidence answer contains no number from 0 to 100.
    case noConfidence

    public var description: String {
        switch self {
        case .noJSONObject: "the answer contains no JSON object"
        case .invalidJSON(let problem): "the answer's JSON object does not parse: \(problem)"
        case .missingField(let field): "the answer has no \"\(field)\""
        case .invalidField(let field, let problem): "the answer's \"\(field)\" \(problem)"
        case .noConfidence: "the answer contains no number from 0 to 100"
        }
    }
}

/// Turns LLM answers into typed values. Models wrap JSON in code fences, add prose around it,
/// vary the case of enum values and the shape of lists; this accepts those variations and
/// rejects anything routing could misread.
///
/// Decisions:
/// - The object is the first one that parses: inside a ```` ```json ```` fence first, else the
///   first balanced `{…}` in the text (braces inside strings do not count). A trailing comma
///   before `}` or `]` is tolerated.
/// - Required: `category`, `confidence`, `urgency` (routing needs them). `reasoning`,
///   `suggested_action`, `required_expertise` and `estimated_effort` default to empty when absent
///   or null, but must have the right type when present. Keys match case-insensitively and in
///   snake_case or camelCase.
/// - Enum values match case-insensitively ("Support", " support ").
/// - `confidence`: a number or a numeric string, "%" allowed, 0–100. A value strictly between 0 and
///   1 (e.g. 0.85) is read as a fraction and scaled ×100, because models often answer that way;
///   0 and 1 are kept as percentages. Anything outside 0–100 is rejected, not clamped.
/// - `required_expertise`: an array of strings or one comma/semicolon separated string;
///   normalised to trimmed, lower-case, de-duplicated names.
public enum LLMAnswerParser {
    /// Parses the classification answer into a ``Classification`` (no cues: an LLM gives reasoning instead).
    public static func parseClassification(
        _ text: String, modelUsed: String, promptVersion: String = PromptTemplates.version, tokensUsed: Int? = nil
    ) throws(LLMAnswerError) -> Classification {
        let object = try extractObject(text)
        var fields: [String: JSONValue] = [:]
        for (key, value) in object { fields[normalizedKey(key)] = value }
        func field(_ name: String) -> JSONValue? {
            guard let value = fields[normalizedKey(name)], value != .null else { return nil }
            return value
        }

        guard let categoryValue = field("category") else { throw .missingField("category") }
        guard let categoryText = categoryValue.stringValue else { throw .invalidField("category", problem: "is \(categoryValue.typeName), expected a string") }
        guard let category = Category(lenient: categoryText) else {
            // The answer's text is echoed into logs and stored errors: a bounded piece of it.
            throw .invalidField("category", problem: "\"\(categoryText.clipped(to: 100))\" is not one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        guard let urgencyValue = field("urgency") else { throw .missingField("urgency") }
        guard let urgencyText = urgencyValue.stringValue else { throw .invalidField("urgency", problem: "is \(urgencyValue.typeName), expected a string") }
        guard let urgency = Urgency(lenient: urgencyText) else {
            throw .invalidField("urgency", problem: "\"\(urgencyText.clipped(to: 100))\" is not one of \(Urgency.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        guard let confidenceValue = field("confidence") else { throw .missingField("confidence") }
        let confidence = try parseConfidenceField(confidenceValue)

        func optionalString(_ name: String) throws(LLMAnswerError) -> String {
            guard let value = field(name) else { return "" }
            switch value {
            case .string(let s): return s.trimmingCharacters(in: .whitespacesAndNewlines)
            case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            default: throw .invalidField(name, problem: "is \(value.typeName), expected a string")
            }
        }

        return Classification(
            category: category,
            confidence: confidence,
            reasoning: try optionalString("reasoning"),
            urgency: urgency,
            suggestedAction: try optionalString("suggested_action"),
            requiredExpertise: try parseExpertise(field("required_expertise")),
            estimatedEffort: try optionalString("estimated_effort"),
            cues: [],
            modelUsed: modelUsed,
            promptVersion: promptVersion,
            tokensUsed: tokensUsed
        )
    }

    /// The confidence-assessment answer: the first number from 0 to 100 in the text ("87",
    /// "Confidence: 87%", "87/100"). Numbers above 100 and negative numbers are skipped; a
    /// fraction strictly between 0 and 1 is scaled ×100 (as in the JSON answer). Rounded to an integer.
    public static func parseConfidence(_ text: String) throws(LLMAnswerError) -> Int {
        let b = Array(text.utf8)
        var i = 0
        while i < b.count {
            guard Sanitizer.isDigit(b[i]) else { i += 1; continue }
            let negative = i > 0 && b[i - 1] == 0x2D && (i < 2 || !Sanitizer.isAlnum(b[i - 2]))
            let start = i
            while i < b.count, Sanitizer.isDigit(b[i]) { i += 1 }
            if i + 1 < b.count, b[i] == 0x2E, Sanitizer.isDigit(b[i + 1]) {
                i += 1
                while i < b.count, Sanitizer.isDigit(b[i]) { i += 1 }
            }
            // Part of a word or identifier ("gpt4", "v2"): not an answer.
            if start > 0, Sanitizer.isLetter(b[start - 1]) { continue }
            guard !negative, let value = Double(String(decoding: b[start..<i], as: UTF8.self)) else { continue }
            if let scaled = scaledConfidence(value) { return Int(scaled.rounded()) }
        }
        throw .noConfidence
    }

    // MARK: - Fields

    static func scaledConfidence(_ value: Double) -> Double? {
        guard value.isFinite, value >= 0, value <= 100 else { return nil }
        return value > 0 && value < 1 ? value * 100 : value
    }

    static func parseConfidenceField(_ value: JSONValue) throws(LLMAnswerError) -> Double {
        var number: Double?
        switch value {
        case .number(let n): number = n
        case .string(let s):
            var t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.hasSuffix("%") { t.removeLast() }
            number = Double(t.trimmingCharacters(in: .whitespaces))
            if number == nil { throw .invalidField("confidence", problem: "\"\(s.clipped(to: 100))\" is not a number") }
        default:
            throw .invalidField("confidence", problem: "is \(value.typeName), expected a number from 0 to 100")
        }
        guard let n = number, let scaled = scaledConfidence(n) else {
            throw .invalidField("confidence", problem: "\(number.map { String($0) } ?? "?") is outside 0–100")
        }
        return scaled
    }

    static func parseExpertise(_ value: JSONValue?) throws(LLMAnswerError) -> [String] {
        guard let value else { return [] }
        var raw: [String] = []
        switch value {
        case .array(let items):
            for (i, item) in items.enumerated() {
                guard let s = item.stringValue else {
                    throw .invalidField("required_expertise", problem: "item \(i) is \(item.typeName), expected a string")
                }
                raw.append(s)
            }
        case .string(let s):
            raw = s.split(whereSeparator: { $0 == "," || $0 == ";" }).map(String.init)
        default:
            throw .invalidField("required_expertise", problem: "is \(value.typeName), expected a list of strings")
        }
        var seen = Set<String>()
        return raw.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    static func normalizedKey(_ key: String) -> String {
        String(key.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != " " })
    }

    // MARK: - Extraction

    /// The first JSON object in the text, as described on the type.
    static func extractObject(_ text: String) throws(LLMAnswerError) -> [String: JSONValue] {
        let bytes = Array(text.utf8)
        var candidates: [Range<Int>] = []
        for fence in fencedBlocks(bytes) {
            if let start = bytes[fence].firstIndex(of: 0x7B), let end = balancedEnd(bytes, from: start, limit: fence.upperBound) {
                candidates.append(start..<end)
            }
        }
        var index = 0
        var sawBrace = false
        var unterminated = false
        var scans = 0
        // Bounded, so a long run of unclosed braces costs a few scans, not one per brace.
        while scans < 32, let start = bytes[index...].firstIndex(of: 0x7B) {
            sawBrace = true
            scans += 1
            if let end = balancedEnd(bytes, from: start, limit: bytes.count) {
                candidates.append(start..<end)
            } else {
                unterminated = true
            }
            index = start + 1
        }
        guard sawBrace else { throw .noJSONObject }
        var firstProblem: String?
        for range in candidates {
            let slice = Array(bytes[range])
            for attempt in [slice, withoutTrailingCommas(slice)] {
                // The parser expects depth-checked input (an answer could nest deeply).
                do throws(JSONGuard.Failure) {
                    try JSONGuard.check(attempt)
                } catch {
                    firstProblem = firstProblem ?? error.description
                    continue
                }
                do throws(JSONSyntaxError) {
                    if case .object(let members) = try JSONValue.parse(attempt) { return members }
                } catch {
                    firstProblem = firstProblem ?? error.description
                }
            }
        }
        throw .invalidJSON(firstProblem ?? (unterminated ? "an object is not closed" : "no object found"))
    }

    /// Contents of ``` fences (an optional language word after the opening fence is skipped).
    static func fencedBlocks(_ b: [UInt8]) -> [Range<Int>] {
        var blocks: [Range<Int>] = []
        var i = 0
        func fence(at j: Int) -> Bool { j + 2 < b.count && b[j] == 0x60 && b[j + 1] == 0x60 && b[j + 2] == 0x60 }
        while i < b.count {
            guard fence(at: i) else { i += 1; continue }
            var start = i + 3
            while start < b.count, b[start] != 0x0A, b[start] != 0x7B { start += 1 }
            var end = start
            while end < b.count, !fence(at: end) { end += 1 }
            blocks.append(start..<end)
            i = end + 3
        }
        return blocks
    }

    /// The index just past the `}` closing the object that opens at `start`, or nil when it is not closed.
    static func balancedEnd(_ b: [UInt8], from start: Int, limit: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var i = start
        while i < limit {
            let c = b[i]
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x7B || c == 0x5B {
                depth += 1
            } else if c == 0x7D || c == 0x5D {
                depth -= 1
                if depth == 0 { return c == 0x7D ? i + 1 : nil }
                if depth < 0 { return nil }
            }
            i += 1
        }
        return nil
    }

    static func withoutTrailingCommas(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var inString = false
        var escaped = false
        for (i, c) in b.enumerated() {
            if inString {
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true
            } else if c == 0x2C {
                var j = i + 1
                while j < b.count, b[j] == 0x20 || b[j] == 0x0A || b[j] == 0x0D || b[j] == 0x09 { j += 1 }
                if j < b.count, b[j] == 0x7D || b[j] == 0x5D { continue }
            }
            out.append(c)
        }
        return out
    }
}
