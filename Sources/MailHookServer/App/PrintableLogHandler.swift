import Logging

/// Wraps the log handler so that no logged text can break the one-line-per-event format or
/// reach an operator's terminal as a control sequence. Messages and metadata carry outside text
/// (a message id from a webhook, Graph's or an LLM's error message, an answer a prompt injection
/// shaped): a newline there would forge a log line, an ESC would drive the terminal. Control
/// characters (C0, DEL, C1) and the Unicode line and paragraph separators are written as
/// escapes (`\n`, `\r`, `\t`, `\u{1B}`); everything else passes unchanged. A metadata value
/// that holds a space, `=`, `"` or `\` is also quoted (logfmt style), so it cannot pose as
/// another `key=value` on the line.
public struct PrintableLogHandler: LogHandler {
    private var inner: any LogHandler

    public init(_ inner: any LogHandler) {
        self.inner = inner
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(Self.printable(event.message.description))"
        var metadata = event.metadata.map { $0.mapValues(Self.printable) } ?? [:]
        if let error = event.error {
            // StreamLogHandler would print the error's description as it is; print it escaped instead.
            metadata["error.message"] = .string(Self.quoted("\(error)"))
            metadata["error.type"] = .string(Self.quoted(String(reflecting: type(of: error))))
            event.error = nil
        }
        event.metadata = metadata.isEmpty ? nil : metadata
        inner.log(event: event)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(Self.printable) }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(Self.printable) }
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    static func printable(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(quoted(text))
        case .stringConvertible(let item): .string(quoted(item.description))
        case .dictionary(let metadata): .dictionary(metadata.mapValues(printable))
        case .array(let values): .array(values.map(printable))
        }
    }

    /// `text` with every character that could end a line or steer a terminal escaped.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        return escaped(text, quoting: false)
    }

    /// A metadata value as one token: quoted, with `\\` and `"` escaped too, when it holds anything
    /// that could separate or fake a `key=value` pair; as it is otherwise.
    static func quoted(_ text: String) -> String {
        guard text.isEmpty || text.unicodeScalars.contains(where: { needsEscape($0) || $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" })
        else { return text }
        return "\"" + escaped(text, quoting: true) + "\""
    }

    private static func escaped(_ text: String, quoting: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let escape: String? =
                switch scalar {
                case "\n": "\\n"
                case "\r": "\\r"
                case "\t": "\\t"
                case "\"" where quoting: "\\\""
                case "\\" where quoting: "\\\\"
                case _ where needsEscape(scalar): "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                default: nil
                }
            if let escape { out.append(contentsOf: escape.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }
}
