import Foundation
import MailHookSchemas

/// The versioned SQL files under `Schemas/migrations/<dialect>/NNNN_name.sql`, shipped as a
/// resource of this module.
public struct Migration: Sendable, Equatable {
    public let version: String
    public let name: String
    public let statements: [String]

    public static func all(dialect: String) throws -> [Migration] {
        guard let directory = MailHookSchemas.migrationsDirectory(dialect: dialect) else {
            throw StoreUnavailable("migrations for \(dialect) are missing from the build")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try files.map { file in
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let stem = String(file.dropLast(4))
            let version = String(stem.prefix(while: \.isNumber))
            return Migration(version: version, name: stem, statements: splitStatements(text))
        }
    }

    /// Splits a script on `;` outside quotes, dropping `--` comments. Two kinds of statement
    /// hold `;`s of their own and are kept whole: PostgreSQL function bodies between `$$`, and
    /// SQLite trigger bodies (`CREATE TRIGGER … BEGIN …; END`).
    static func splitStatements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inQuote = false
        var inDollarQuote = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let chars = Array(line)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
                if !inQuote, !inDollarQuote, c == "-", next == "-" { break }
                if !inQuote, c == "$", next == "$" {
                    inDollarQuote.toggle()
                    current += "$$"
                    i += 2
                    continue
                }
                if !inDollarQuote, c == "'" { inQuote.toggle() }
                if c == ";", !inQuote, !inDollarQuote, !insideTriggerBody(current) {
                    let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !statement.isEmpty { statements.append(statement) }
                    current = ""
                } else {
                    current.append(c)
                }
                i += 1
            }
            current += "\n"
        }
        let tail = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tail.isEmpty { statements.append(tail) }
        return statements
    }

    /// Whether `text`, a statement so far, is a SQLite trigger whose body has not reached `END`.
    static func insideTriggerBody(_ text: String) -> Bool {
        let words = text.uppercased().split(whereSeparator: { $0.isWhitespace || $0 == ";" })
        guard words.count > 1, words[0] == "CREATE", words[1] == "TRIGGER", words.contains("BEGIN") else { return false }
        return words.last != "END"
    }
}
