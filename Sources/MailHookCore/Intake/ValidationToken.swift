import Foundation

/// The Graph subscription validation handshake: `POST …?validationToken=<form-encoded>`.
public enum ValidationToken {
    public static let maxLength = 8192

    public enum Failure: Error, Equatable {
        case malformedEncoding
        case tooLong
        case markup
    }

    /// Finds `validationToken` in a raw query string and decodes it as a form value: `+` becomes a
    /// space first, then `%XX` sequences are decoded (so a literal plus, sent as `%2B`, survives).
    /// Returns nil when the parameter is absent.
    public static func extract(rawQuery: String?) throws(Failure) -> String? {
        guard let rawQuery, !rawQuery.isEmpty else { return nil }
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = formDecode(parts[0]), name == "validationToken" else { continue }
            let raw = parts.count > 1 ? parts[1] : ""
            guard raw.utf8.count <= maxLength * 3 else { throw .tooLong }
            guard let value = formDecode(raw) else { throw .malformedEncoding }
            guard value.utf8.count <= maxLength else { throw .tooLong }
            // Graph never sends markup; refusing it keeps the echo harmless (defence in depth).
            guard !value.contains("<"), !value.contains(">") else { throw .markup }
            return value
        }
        return nil
    }

    static func formDecode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
