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

    /// Splits a script on `;` outside quotes, dropping `--` comments. The migration files use
    /// no procedural blocks, so this is enough.
    static func splitStatements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inQuote = false
        var lines = sql.components(separatedBy: "\n").makeIterator()
        while let line = lines.next() {
            var chars = Array(line)
            var i = 0
            var kept = ""
            while i < chars.count {
                let c = chars[i]
                if !inQuote, c == "-", i + 1 < chars.count, chars[i + 1] == "-" { break }
                if c == "'" { inQuote.toggle() }
                if c == ";", !inQuote {
                    current += kept
                    let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !statement.isEmpty { statements.append(statement) }
                    current = ""
                    kept = ""
                } else {
                    kept.append(c)
                }
                i += 1
            }
            chars.removeAll()
            current += kept + "\n"
        }
        let tail = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !tail.isEmpty { statements.append(tail) }
        return statements
    }
}
