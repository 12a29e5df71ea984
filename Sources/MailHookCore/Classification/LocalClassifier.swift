/// The offline classifier: deterministic weighted keyword and phrase rules, no network. It keeps
/// the pipeline classifying when no LLM is configured or the LLM is down (DESIGN §4 "Degrade,
/// don't fail"), and every result lists the rules that fired (`cues`).
///
/// How it decides:
/// - Text is split into lower-case words (apostrophes dropped: "can't" → "cant"). Rules are words
///   or phrases; `licen*` matches any word starting "licen", `_` in a phrase matches any one word.
/// - Three rule layers (category, urgency, expertise) scan the words independently. In each
///   layer the longest phrase starting at a word wins and covers its words, so "not urgent"
///   (LOW) hides the "urgent" inside it.
/// - A rule counts once per zone: the subject (×1.5), the body (×1), quoted or forwarded text
///   below the first quote marker (×0.5). The strongest zone counts fully, repeats in other
///   zones add a quarter, so a word in both subject and body is not counted twice.
/// - Strong CRITICAL-urgency cues also count towards ESCALATION: a major incident is an
///   escalation even when it is worded as a plain problem report.
/// - The category with the highest score wins. Confidence comes from how much of the evidence
///   the winner holds and how much evidence there is, so a few weak cues give a low confidence
///   and routing sends the email to people. No evidence at all gives SUPPORT at confidence 20.
/// - Urgency comes from urgency rules (CRITICAL for outages, breaches, ransomware, "all users"…);
///   without them, a default per category.
///
/// Input is the subject and the body, already sanitised (the rules never look at personal data).
public struct LocalClassifier: Sendable {
    /// `Classification.modelUsed` for results of this classifier.
    public static let modelName = "local-rules"
    /// `Classification.promptVersion` for results of this classifier: bump when the rules change.
    public static let rulesVersion = "mh-local-2"

    let rules: CompiledRules
    let trained: TrainedHeads?

    /// With a `model` (``ClassifierModel``), its trained heads decide and the cues explain; the
    /// urgency head calls an email CRITICAL from `criticalLikelihood` up (clamped to 0.01...1).
    public init(model: ClassifierModel? = nil, criticalLikelihood: Double = LocalClassifier.defaultCriticalLikelihood) {
        rules = CompiledRules.standard
        trained = model.map { TrainedHeads($0, criticalLikelihood: Self.bounded(criticalLikelihood)) }
    }

    /// A threshold from code, held to 0.01...1 (NaN or infinity: the default).
    static func bounded(_ likelihood: Double) -> Double {
        likelihood.isFinite ? min(max(likelihood, 0.01), 1) : defaultCriticalLikelihood
    }

    /// The same classifier, its trained heads shared, with CRITICAL from `likelihood` up.
    func criticalFrom(_ likelihood: Double) -> LocalClassifier {
        LocalClassifier(rules: rules, trained: trained.map { TrainedHeads(name: $0.name, heads: $0.heads, criticalLikelihood: Self.bounded(likelihood)) })
    }

    private init(rules: CompiledRules, trained: TrainedHeads?) {
        self.rules = rules
        self.trained = trained
    }

    public func classify(subject: String, body: String) -> Classification {
        scan(subject: subject, body: body).result()
    }

    /// The rules that fired on one email (and its features, when a model takes part).
    func scan(subject: String, body: String) -> Scan {
        var scan = Scan(rules: rules)
        if let trained {
            let features = TextFeatures.of(subject: subject, body: body)
            scan.trained = (trained, features, MessageShape(subject: subject, body: body))
        }
        var subject = subject
        var body = body
        subject.withUTF8 { bytes in
            guard !Self.isDirective(bytes, 0..<bytes.count) else { scan.skippedParagraphs += 1; return }
            scan.add(zone: .subject, bytes: bytes)
            scan.countSignals(bytes)
        }
        body.withUTF8 { bytes in
            let split = Self.quoteStart(bytes)
            for (zone, range) in [(Zone.body, 0..<split), (Zone.quoted, split..<bytes.count)] where !range.isEmpty {
                let paragraphs = Self.readableParagraphs(bytes, range)
                scan.skippedParagraphs += paragraphs.skipped
                for paragraph in paragraphs.kept {
                    let part = UnsafeBufferPointer(rebasing: bytes[paragraph])
                    scan.add(zone: zone, bytes: part)
                    scan.countSignals(part)
                }
            }
        }
        return scan
    }

    /// Where quoted or forwarded text starts (a byte offset): the first line that is a quote
    /// (`>`), an "Original Message" or "Forwarded message" separator, an Outlook header block
    /// (`From:` after the first line) or an "On … wrote:" line.
    static func quoteStart(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        func has(_ prefix: StaticString, at i: Int, end: Int) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard end - i >= count else { return false }
            let p = prefix.utf8Start
            for k in 0..<count where b[i + k] != p[k] { return false }
            return true
        }
        var lineStart = 0
        var first = true
        while lineStart < b.count {
            var lineEnd = lineStart
            while lineEnd < b.count, b[lineEnd] != 0x0A { lineEnd += 1 }
            var i = lineStart
            while i < lineEnd, b[i] == 0x20 || b[i] == 0x09 { i += 1 }
            var last = lineEnd
            while last > i, b[last - 1] == 0x20 || b[last - 1] == 0x0D { last -= 1 }
            if has(">", at: i, end: last) || has("-----Original Message", at: i, end: last)
                || has("---------- Forwarded", at: i, end: last) || has("----- Forwarded", at: i, end: last)
                || (!first && has("From:", at: i, end: last))
                || (has("On ", at: i, end: last) && last - i >= 9 && has("wrote:", at: last - 6, end: last))
            {
                return lineStart
            }
            first = false
            lineStart = lineEnd + 1
        }
        return b.count
    }
}

// MARK: - Scoring one email

extension LocalClassifier {
    enum Zone: Int, CaseIterable {
        case subject = 0, body = 1, quoted = 2

        var factor: Double {
            switch self {
            case .subject: 1.5
            case .body: 1.0
            case .quoted: 0.5
            }
        }

        var name: String {
            switch self {
            case .subject: "subject"
            case .body: "body"
            case .quoted: "quoted"
            }
        }
    }

    /// One classification in progress: which rules fired in which zones.
    struct Scan {
        let rules: CompiledRules
        /// Per layer, per rule: a bit per zone it fired in.
        var fired: [[UInt8]]
        var firedList: [[Int]]
        var questions = 0
        var money = false
        /// Paragraphs not read because they address a classifier (``LocalClassifier/isDirective(_:_:)``).
        var skippedParagraphs = 0
        /// The trained heads and the email's features and shape, when a model takes part.
        var trained: (heads: TrainedHeads, features: Set<String>, shape: MessageShape)?
        // Reused token buffers.
        var ids: [Int32] = []
        var offsets: [Int32] = []

        init(rules: CompiledRules) {
            self.rules = rules
            fired = rules.layers.map { [UInt8](repeating: 0, count: $0.ruleCount) }
            firedList = rules.layers.map { _ in [] }
            ids.reserveCapacity(1024)
            offsets.reserveCapacity(512)
        }

        mutating func add(zone: Zone, bytes: UnsafeBufferPointer<UInt8>) {
            rules.tokenize(bytes, ids: &ids, offsets: &offsets)
            let count = offsets.count - 1
            guard count > 0 else { return }
            let bit = UInt8(1) << UInt8(zone.rawValue)
            for layerIndex in rules.layers.indices {
                let layer = rules.layers[layerIndex]
                var position = 0
                while position < count {
                    var bestLength = 0
                    var best = -1
                    var k = Int(offsets[position])
                    let kEnd = Int(offsets[position + 1])
                    while k < kEnd {
                        let word = Int(ids[k])
                        var r = Int(layer.firstOffsets[word])
                        let rEnd = Int(layer.firstOffsets[word + 1])
                        while r < rEnd {
                            let rule = Int(layer.firstRules[r])
                            let start = Int(layer.ruleWordOffsets[rule])
                            let length = Int(layer.ruleWordOffsets[rule + 1]) - start
                            if length > bestLength, matches(layer.ruleWords, start: start, length: length, at: position, count: count) {
                                bestLength = length
                                best = rule
                            }
                            r += 1
                        }
                        k += 1
                    }
                    if best >= 0 {
                        if fired[layerIndex][best] == 0 { firedList[layerIndex].append(best) }
                        fired[layerIndex][best] |= bit
                        position += bestLength
                    } else {
                        position += 1
                    }
                }
            }
        }

        /// Whether words 1..<length of the rule match the words after `position` (word 0 already did).
        func matches(_ ruleWords: [Int32], start: Int, length: Int, at position: Int, count: Int) -> Bool {
            guard position + length <= count else { return false }
            var t = 1
            while t < length {
                let wanted = ruleWords[start + t]
                if wanted != CompiledRules.anyWord {
                    var k = Int(offsets[position + t])
                    let end = Int(offsets[position + t + 1])
                    while k < end, ids[k] != wanted { k += 1 }
                    if k == end { return false }
                }
                t += 1
            }
            return true
        }

        /// Signals that are not words: question marks and sums of money ("$" then a digit).
        mutating func countSignals(_ bytes: UnsafeBufferPointer<UInt8>) {
            var previous: UInt8 = 0
            for byte in bytes {
                if byte == 0x3F { questions += 1 }
                if previous == 0x24, byte >= 0x30, byte <= 0x39 { money = true }
                previous = byte
            }
        }
    }
}
