/// How an email is written, apart from its words: exclamation and question marks, shouted
/// (all-capital) words, length, and whether it is a reply or forward. Inputs of the urgency head
/// only: a short "Printer down!!" and a long, calm question differ in urgency more than in topic.
///
/// Counts are capped and turned into one-hot inputs (`shape:exclamations=2`), so each level gets
/// its own learned weight and a thousand exclamation marks weigh no more than three.
struct MessageShape: Equatable {
    var exclamations = 0
    var questions = 0
    /// Words of three or more letters, all capitals (placeholders like `[EMAIL]` excluded).
    var shouted = 0
    /// Words in the subject and body (quoted text included).
    var words = 0
    var isReplyOrForward = false

    static let maximumExclamations = 3
    static let maximumQuestions = 3
    static let maximumShouted = 4
    /// Length is bucketed by powers of two: 0, 1, 2–3, 4–7, … 256 and more.
    static let maximumLengthBucket = 9

    /// Reads what the cues read: a paragraph addressed to a classifier counts for nothing, so
    /// shouting in it cannot steer the urgency.
    init(subject: String, body: String) {
        var subject = subject
        var body = body
        subject.withUTF8 { bytes in
            guard !LocalClassifier.isDirective(bytes, 0..<bytes.count) else { return }
            count(bytes)
        }
        body.withUTF8 { bytes in
            for paragraph in LocalClassifier.readableParagraphs(bytes, 0..<bytes.count).kept {
                count(UnsafeBufferPointer(rebasing: bytes[paragraph]))
            }
        }
        let prefix = subject.prefix(8).lowercased().drop { $0 == " " }
        isReplyOrForward = ["re:", "fw:", "fwd:", "aw:", "wg:", "tr:", "rv:"].contains { prefix.hasPrefix($0) }
    }

    private mutating func count(_ bytes: UnsafeBufferPointer<UInt8>) {
        var letters = 0
        var allCapitals = true
        var bracketed = false
        var previous: UInt8 = 0x20
        func endWord() {
            if letters > 0 { words += 1 }
            if letters >= 3, allCapitals, !bracketed { shouted += 1 }
            letters = 0
            allCapitals = true
        }
        for byte in bytes {
            switch byte {
            case 0x41...0x5A:
                if letters == 0 { bracketed = previous == 0x5B }
                letters += 1
            case 0x61...0x7A, 0x80...:
                if letters == 0 { bracketed = previous == 0x5B }
                letters += 1
                allCapitals = false
            case 0x30...0x39, 0x27:
                if letters > 0 { allCapitals = allCapitals && byte == 0x27 }
            default:
                endWord()
                if byte == 0x21 { exclamations += 1 }
                if byte == 0x3F { questions += 1 }
            }
            previous = byte
        }
        endWord()
    }

    var lengthBucket: Int { min(Self.maximumLengthBucket, Int.bitWidth - words.leadingZeroBitCount) }

    static let names: [String] =
        (0...maximumExclamations).map { "shape:exclamations=\($0)" } + (0...maximumQuestions).map { "shape:questions=\($0)" }
        + (0...maximumShouted).map { "shape:shouted=\($0)" } + (0...maximumLengthBucket).map { "shape:length=\($0)" }
        + ["shape:reply"]

    var inputs: [(name: String, value: Double)] {
        var inputs: [(String, Double)] = [
            ("shape:exclamations=\(min(exclamations, Self.maximumExclamations))", 1),
            ("shape:questions=\(min(questions, Self.maximumQuestions))", 1),
            ("shape:shouted=\(min(shouted, Self.maximumShouted))", 1),
            ("shape:length=\(lengthBucket)", 1),
        ]
        if isReplyOrForward { inputs.append(("shape:reply", 1)) }
        return inputs
    }
}
