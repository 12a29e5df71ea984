/// What the trained component of the offline classifier reads: the distinct lower-case words,
/// adjacent word pairs and words' character grams of the subject and of the body's readable paragraphs (the ones the cues
/// read too, so a paragraph addressed to a classifier steers neither), subject words once more
/// with an `s:` mark. Quoted or forwarded history is read only when the newest part says almost
/// nothing, because the newest request is what the email asks.
///
/// Words are runs of letters and digits (non-ASCII bytes count as letters, so "grüße" stays one
/// word); apostrophes inside words are dropped, as the cues do. At most ``maximumWords`` words are
/// read, so the work per email is bounded whatever its size.
///
/// Each word of three or more letters also gives its character 4-grams, the word's start and end
/// marked (`c:<pri`, `c:rint`, `c:int>`): "printer", "printers" and "printing" share most of them, as
/// do a misspelt or non-native word and its usual form (words of up to ``characterGramWordLimit``
/// characters). They count ``characterGramValue`` of a word,
/// so the many grams of one word do not outweigh the word itself.
public enum TextFeatures {
    public static let maximumWords = 600
    /// Longer runs of letters and digits are left out, so no feature is larger than this.
    static let maximumWordBytes = 64
    static let characterGramLength = 4
    static let characterGramPrefix = "c:"
    /// Longer words (ticket numbers, hashes, run-together links) give no grams: they mean nothing
    /// shared, and the grams per email stay bounded (at most 23 a word).
    static let characterGramWordLimit = 24
    /// Of 1, 0.5, 0.4, 0.3 and 0.2, the one that added a point of cross-validated urgency without
    /// losing accuracy on a set scored unseen (README, "Classification").
    static let characterGramValue = 0.4

    /// A feature's input value: 1 for words and word pairs, less for character grams.
    static func value(of feature: String) -> Double {
        feature.utf8.starts(with: characterGramPrefix.utf8) ? characterGramValue : 1
    }
    /// Fewer words than this above the first quote marker and the quoted text is read too.
    static let shortNewestPart = 8

    public static func of(subject: String, body: String) -> Set<String> {
        var features = Set<String>()
        var budget = maximumWords
        var subject = subject
        subject.withUTF8 { bytes in
            guard !LocalClassifier.isDirective(bytes, 0..<bytes.count) else { return }
            let words = self.words(bytes, 0..<bytes.count, budget: &budget)
            add(words, to: &features)
            for word in words { features.insert("s:" + word) }
        }
        var body = body
        body.withUTF8 { bytes in
            let split = LocalClassifier.quoteStart(bytes)
            var newest: [String] = []
            for paragraph in LocalClassifier.readableParagraphs(bytes, 0..<split).kept {
                newest += words(bytes, paragraph, budget: &budget)
            }
            add(newest, to: &features)
            guard newest.count < shortNewestPart, split < bytes.count else { return }
            for paragraph in LocalClassifier.readableParagraphs(bytes, split..<bytes.count).kept {
                add(words(bytes, paragraph, budget: &budget), to: &features)
            }
        }
        return features
    }

    static func add(_ words: [String], to features: inout Set<String>) {
        for word in words {
            features.insert(word)
            addCharacterGrams(of: word, to: &features)
        }
        guard words.count > 1 else { return }
        for i in 1..<words.count { features.insert(words[i - 1] + "_" + words[i]) }
    }

    /// `<word>`'s runs of ``characterGramLength`` characters (graphemes, so "ü" is one).
    static func addCharacterGrams(of word: String, to features: inout Set<String>) {
        let n = characterGramLength
        guard word.utf8.count <= characterGramWordLimit * 4, word.count <= characterGramWordLimit else { return }
        if word.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII, nearly every word: one byte per character. Splitting into characters instead made
            // classification with the model 40 % slower (6,300-6,700 against 10,400-10,600 emails/s).
            let marked = [UInt8(ascii: "<")] + Array(word.utf8) + [UInt8(ascii: ">")]
            guard marked.count > n else { return }
            for start in 0...(marked.count - n) {
                features.insert(characterGramPrefix + String(decoding: marked[start..<(start + n)], as: UTF8.self))
            }
        } else {
            let marked = Array("<" + word + ">")
            guard marked.count > n else { return }
            for start in 0...(marked.count - n) { features.insert(characterGramPrefix + String(marked[start..<(start + n)])) }
        }
    }

    /// The words of `range`, lower-cased, until `budget` runs out.
    static func words(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, budget: inout Int) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        func finish() {
            guard !current.isEmpty, budget > 0 else { current.removeAll(keepingCapacity: true); return }
            // A run longer than any word (a hash, a base64 blob) is no feature; it still uses up budget.
            if current.count <= maximumWordBytes { words.append(String(decoding: current, as: UTF8.self)) }
            budget -= 1
            current.removeAll(keepingCapacity: true)
        }
        var i = range.lowerBound
        while i < range.upperBound, budget > 0 {
            let byte = b[i]
            switch byte {
            case 0x41...0x5A: current.append(byte | 0x20)
            case 0x61...0x7A, 0x30...0x39: current.append(byte)
            case 0x27 where !current.isEmpty: break
            case 0xE2 where i + 2 < range.upperBound && (b[i + 1] == 0x80 || b[i + 1] == 0x81):
                // General punctuation (dashes, quotes, ellipsis); a right single quote inside a word is an apostrophe.
                if !(b[i + 1] == 0x80 && b[i + 2] == 0x99 && !current.isEmpty) { finish() }
                i += 2
            case 0xC2 where i + 1 < range.upperBound:
                // U+0080–U+00BF: no-break space, «, », ©, ° and the like separate words.
                finish()
                i += 1
            case 0xC3 where i + 1 < range.upperBound && (0x80...0x9E).contains(b[i + 1]) && b[i + 1] != 0x97:
                // Latin-1 capitals (À–Þ, not ×) to lower case, so "ÜBER" and "über" are one word.
                current.append(byte)
                current.append(b[i + 1] | 0x20)
                i += 1
            case 0x80...: current.append(byte)
            default: finish()
            }
            i += 1
        }
        finish()
        return words
    }
}
