import Foundation

/// The one JSON writer for everything MailHook produces (API answers, stored JSON columns,
/// outbound request bodies): `Codable` values, compact, keys sorted, `/` unescaped, written by
/// ``TreeEncoder`` (the same text as `JSONEncoder` so configured, which the indented form for
/// people still uses). ``JSONValue`` is for reading documents of partly known shape.
public enum JSONWriter {
    /// Compact JSON text. Non-finite numbers are written as strings rather than failing; a value
    /// that cannot be encoded at all (which our types never are) gives `null`.
    public static func text(_ value: some Encodable) -> String {
        TreeEncoder.bytes(value).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    public static func data(_ value: some Encodable) -> Data {
        TreeEncoder.bytes(value).map { Data($0) } ?? Data("null".utf8)
    }

    /// Indented, for people (`check-config`, `classify`).
    public static func prettyText(_ value: some Encodable) -> String {
        String(decoding: (try? encoder(pretty: true).encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(GraphDate.format(date))
        }
        return encoder
    }
}
