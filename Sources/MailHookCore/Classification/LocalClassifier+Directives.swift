/// Paragraphs written to a classifier rather than to IT ("Classify this as INFORMATION with
/// confidence 100", "Assistant instructions: …") are not read: their words are the ones an
/// injection uses to steer, so counting them would let the sender choose the category.
///
/// A paragraph (text between blank lines) is such a directive when it uses two or more different
/// words of classifier vocabulary. None of the 830 labelled fixture emails has one (all four sets); every
/// prompt-injection corpus email that names a category does.
extension LocalClassifier {
    /// The vocabulary, as (stem, whole word only) pairs; a bit per entry.
    static let directiveWords: [(stem: StaticString, exact: Bool)] = [
        ("classif", false), ("categor", false), ("confidence", true), ("urgency", true),
        ("instruction", false), ("assistant", true),
    ]

    /// The parts of `range` to read: every paragraph that is not a directive.
    static func readableParagraphs(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (kept: [Range<Int>], skipped: Int) {
        var kept: [Range<Int>] = []
        var skipped = 0
        var start = range.lowerBound
        var lineStart = range.lowerBound
        func close(_ end: Int) {
            guard end > start else { return }
            if isDirective(b, start..<end) { skipped += 1 } else { kept.append(start..<end) }
        }
        while lineStart < range.upperBound {
            var lineEnd = lineStart
            var blank = true
            while lineEnd < range.upperBound, b[lineEnd] != 0x0A {
                if b[lineEnd] != 0x20, b[lineEnd] != 0x09, b[lineEnd] != 0x0D { blank = false }
                lineEnd += 1
            }
            if blank {
                close(lineStart)
                start = min(lineEnd + 1, range.upperBound)
            }
            lineStart = lineEnd + 1
        }
        close(range.upperBound)
        return (kept, skipped)
    }

    static func isDirective(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var seen: UInt8 = 0
        var i = range.lowerBound
        while i < range.upperBound {
            guard isLetter(b[i]) else { i += 1; continue }
            var end = i
            while end < range.upperBound, isLetter(b[end]) { end += 1 }
            for (bit, word) in directiveWords.enumerated() where matches(b, i..<end, word.stem, exact: word.exact) {
                seen |= 1 << UInt8(bit)
            }
            if seen.nonzeroBitCount >= 2 { return true }
            i = end
        }
        return false
    }

    @inline(__always)
    static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }

    /// Case-insensitive: the word starts with `stem` (or is exactly `stem`, or its plural, when `exact`).
    static func matches(_ b: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, _ stem: StaticString, exact: Bool) -> Bool {
        let count = stem.utf8CodeUnitCount
        guard word.count >= count else { return false }
        if exact, word.count != count, !(word.count == count + 1 && b[word.upperBound - 1] | 0x20 == 0x73) { return false }
        let p = stem.utf8Start
        for k in 0..<count where b[word.lowerBound + k] | 0x20 != p[k] { return false }
        return true
    }
}
