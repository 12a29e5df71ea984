/// Cutting outside text to a length for a message, a log line or a stored error: counted in
/// Unicode scalars, not characters. One character (grapheme cluster) can hold any number of
/// scalars ("a" and a megabyte of combining marks is one), so a cut counted in characters bounds
/// nothing on hostile text. A cut may split a cluster; the text stays valid Unicode.
extension StringProtocol {
    public func clipped(to limit: Int) -> String {
        guard limit > 0 else { return "" }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: unicodeScalars.prefix(limit))
        return String(kept)
    }
}
