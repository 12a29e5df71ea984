import Foundation

/// The rule lists compiled once into a byte trie (word → word ids) and per-layer phrase tables
/// indexed by their first word, all in flat arrays (offsets + values), so classifying an email
/// is one pass over its bytes plus a few table lookups per word.
struct CompiledRules: Sendable {
    static let categoryLayer = 0
    static let urgencyLayer = 1
    static let expertiseLayer = 2
    /// A phrase position written `_`: any one word.
    static let anyWord: Int32 = -2
    static let symbols = 36

    /// One line of a rule list: these patterns add `weight` to `target`.
    struct Spec: Sendable {
        var target: Int
        var weight: Double
        var patterns: [String]
    }

    /// One layer's phrases. Rule `r` has words `ruleWords[ruleWordOffsets[r]..<ruleWordOffsets[r + 1]]`
    /// and effects at `effectOffsets[r]..<effectOffsets[r + 1]`; the rules starting with word `w`
    /// are `firstRules[firstOffsets[w]..<firstOffsets[w + 1]]`.
    struct Layer: Sendable {
        var labels: [String] = []
        var ruleWordOffsets: [Int32] = [0]
        var ruleWords: [Int32] = []
        var effectOffsets: [Int32] = [0]
        var effectTargets: [Int32] = []
        var effectWeights: [Double] = []
        var firstOffsets: [Int32] = []
        var firstRules: [Int32] = []

        var ruleCount: Int { labels.count }

        func effects(of rule: Int) -> [(target: Int, weight: Double)] {
            (Int(effectOffsets[rule])..<Int(effectOffsets[rule + 1])).map { (Int(effectTargets[$0]), effectWeights[$0]) }
        }
    }

    var layers: [Layer]
    var expertiseNames: [String]
    /// Trie over a-z0-9: `children[node * 36 + symbol]`, -1 for none; the word ending exactly at
    /// a node; the prefix words (`licen*`) ending at a node, as offsets into `prefixIDs`.
    var children: [Int32]
    var exactWord: [Int32]
    var prefixOffsets: [Int32]
    var prefixIDs: [Int32]

    init(category: [Spec], urgency: [Spec], expertise: [(name: String, weight: Double, patterns: [String])]) {
        var children = [Int32](repeating: -1, count: Self.symbols)
        var exactWord: [Int32] = [-1]
        var prefixWords: [[Int32]] = [[]]
        var wordIDs: [String: Int32] = [:]

        func wordID(_ word: String) -> Int32 {
            if word == "_" { return Self.anyWord }
            if let id = wordIDs[word] { return id }
            let id = Int32(wordIDs.count)
            wordIDs[word] = id
            let isPrefix = word.hasSuffix("*")
            var node = 0
            for byte in (isPrefix ? String(word.dropLast()) : word).utf8 {
                let symbol = Self.symbol(byte)
                precondition(symbol >= 0, "rule word \"\(word)\" must be lower-case letters and digits")
                var child = Int(children[node * Self.symbols + symbol])
                if child < 0 {
                    child = exactWord.count
                    children[node * Self.symbols + symbol] = Int32(child)
                    children.append(contentsOf: repeatElement(-1, count: Self.symbols))
                    exactWord.append(-1)
                    prefixWords.append([])
                }
                node = child
            }
            if isPrefix { prefixWords[node].append(id) } else { exactWord[node] = id }
            return id
        }

        func compile(_ specs: [Spec]) -> (Layer, [[Int32]]) {
            var labels: [String] = []
            var words: [[Int32]] = []
            var effects: [[(Int32, Double)]] = []
            var byPattern: [String: Int] = [:]
            for spec in specs {
                for pattern in spec.patterns {
                    let parts = pattern.split(separator: " ").map(String.init)
                    precondition(!parts.isEmpty && parts[0] != "_", "rule \"\(pattern)\" must start with a word")
                    if let existing = byPattern[pattern] {
                        effects[existing].append((Int32(spec.target), spec.weight))
                    } else {
                        byPattern[pattern] = labels.count
                        labels.append(pattern)
                        words.append(parts.map(wordID))
                        effects.append([(Int32(spec.target), spec.weight)])
                    }
                }
            }
            var layer = Layer()
            layer.labels = labels
            for (w, e) in zip(words, effects) {
                layer.ruleWords += w
                layer.ruleWordOffsets.append(Int32(layer.ruleWords.count))
                for (target, weight) in e {
                    layer.effectTargets.append(target)
                    layer.effectWeights.append(weight)
                }
                layer.effectOffsets.append(Int32(layer.effectTargets.count))
            }
            return (layer, words)
        }

        var compiled = [compile(category), compile(urgency)]
        var names: [String] = []
        var expertiseSpecs: [Spec] = []
        for entry in expertise {
            var index = names.firstIndex(of: entry.name) ?? -1
            if index < 0 {
                index = names.count
                names.append(entry.name)
            }
            expertiseSpecs.append(Spec(target: index, weight: entry.weight, patterns: entry.patterns))
        }
        compiled.append(compile(expertiseSpecs))

        // Index each layer's rules by first word, now that every word has an id.
        layers = []
        for (layer, words) in compiled {
            var layer = layer
            var byFirst = [[Int32]](repeating: [], count: wordIDs.count)
            for (r, w) in words.enumerated() { byFirst[Int(w[0])].append(Int32(r)) }
            layer.firstOffsets = [0]
            for list in byFirst {
                layer.firstRules += list
                layer.firstOffsets.append(Int32(layer.firstRules.count))
            }
            layers.append(layer)
        }
        expertiseNames = names
        self.children = children
        self.exactWord = exactWord
        prefixOffsets = [0]
        prefixIDs = []
        for list in prefixWords {
            prefixIDs += list
            prefixOffsets.append(Int32(prefixIDs.count))
        }
    }

    @inline(__always)
    static func symbol(_ byte: UInt8) -> Int {
        switch byte {
        case 0x61...0x7A: Int(byte - 0x61)
        case 0x41...0x5A: Int(byte - 0x41)
        case 0x30...0x39: 26 + Int(byte - 0x30)
        default: -1
        }
    }

    /// Splits UTF-8 `bytes` into words and records, per word, the ids of the rule words it
    /// matches: `ids[offsets[i]..<offsets[i + 1]]` for word `i`. Apostrophes (' and ’) inside
    /// words are dropped; any other byte outside a-z, A-Z, 0-9 separates words.
    func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, ids: inout [Int32], offsets: inout [Int32]) {
        ids.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        children.withUnsafeBufferPointer { children in
            var inWord = false
            var node = 0
            var i = 0
            let n = bytes.count
            while i < n {
                let byte = bytes[i]
                let symbol = Self.symbol(byte)
                if symbol >= 0 {
                    if !inWord {
                        inWord = true
                        node = 0
                        offsets.append(Int32(ids.count))
                    }
                    if node >= 0 {
                        node = Int(children[node * Self.symbols + symbol])
                        if node >= 0 {
                            var p = Int(prefixOffsets[node])
                            let end = Int(prefixOffsets[node + 1])
                            while p < end {
                                ids.append(prefixIDs[p])
                                p += 1
                            }
                        }
                    }
                    i += 1
                    continue
                }
                if inWord {
                    if byte == 0x27 { i += 1; continue }
                    if byte == 0xE2, i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0x99 { i += 3; continue }
                    if node >= 0, exactWord[node] >= 0 { ids.append(exactWord[node]) }
                    inWord = false
                }
                i += 1
            }
            if inWord, node >= 0, exactWord[node] >= 0 { ids.append(exactWord[node]) }
        }
        offsets.append(Int32(ids.count))
    }

    /// The shipped rules (``LocalClassifier`` rule lists), compiled once.
    static let standard = CompiledRules(
        category: LocalClassifier.categoryRules.map { Spec(target: Category.allCases.firstIndex(of: $0.0)!, weight: $0.1, patterns: $0.2) },
        urgency: LocalClassifier.urgencyRules.map { Spec(target: Urgency.allCases.firstIndex(of: $0.0)!, weight: $0.1, patterns: $0.2) },
        expertise: LocalClassifier.expertiseRules.map { (name: $0.0, weight: $0.1, patterns: $0.2) })
}

// MARK: - Calibration and wording

extension LocalClassifier.Scan {
    /// Maps category scores to 0–100: the winner's share of all evidence (smoothed, so little
    /// evidence cannot look certain) times how much evidence there is.
    static func confidence(best: Double, second: Double, total: Double) -> Double {
        let share = (best + 0.5) / (total + 2.5)
        let amount = 1 - exp(-best / 5)
        let margin = min((best - second) / max(best, 1e-9), 1)
        let raw = 100 * share * (0.55 + 0.45 * amount) * (0.75 + 0.25 * margin)
        return (calibrated(raw) * 10).rounded() / 10
    }

    /// Monotone map from the raw score to a confidence whose bands roughly match the accuracy
    /// seen on the tuning split (the raw score ranks well but is too low). Capped at 95: rules are
    /// never certain.
    static let calibration: [(raw: Double, confidence: Double)] = [
        (0, 5), (20, 30), (28, 50), (40, 72), (60, 86), (80, 92), (100, 95),
    ]

    static func calibrated(_ raw: Double) -> Double {
        let points = calibration
        guard raw > points[0].raw else { return points[0].confidence }
        for i in 1..<points.count where raw <= points[i].raw {
            let (x0, y0) = points[i - 1]
            let (x1, y1) = points[i]
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
        }
        return points[points.count - 1].confidence
    }

    /// CRITICAL when its cues are strong and not outweighed; else the strongest of LOW, MEDIUM and
    /// HIGH with enough evidence; else a default per category. Escalations are never LOW.
    static func urgency(_ scores: [Double], category: Category) -> Urgency {
        let low = scores[0], medium = scores[1], high = scores[2], critical = scores[3]
        var urgency: Urgency
        if critical >= 4, critical >= 0.6 * high {
            urgency = .critical
        } else if max(low, medium, high) >= 2 {
            urgency = high >= medium && high >= low ? .high : (medium >= low ? .medium : .low)
        } else {
            switch category {
            case .escalation: urgency = .high
            case .information: urgency = .low
            case .purchasing, .support, .consultation: urgency = .medium
            }
        }
        if category == .escalation, urgency == .low { urgency = .medium }
        return urgency
    }
}

extension LocalClassifier {
    static func suggestedAction(category: Category, urgency: Urgency) -> String {
        let base = switch category {
        case .purchasing: "Check the budget approval, get a quote from the preferred vendor and place the order."
        case .support: "Open a support ticket and troubleshoot with the requester."
        case .information: "Answer with the requested information or a link to the documentation."
        case .escalation: "Notify IT management, assign an owner and keep the requester updated."
        case .consultation: "Schedule a conversation with the right specialist and prepare a recommendation."
        }
        switch urgency {
        case .critical: return "Start incident handling now. " + base
        case .high: return "Handle today. " + base
        case .medium, .low: return base
        }
    }

    static func estimatedEffort(category: Category, urgency: Urgency) -> String {
        switch category {
        case .information: "15 minutes"
        case .support: urgency >= .high ? "1-4 hours" : "30-60 minutes"
        case .purchasing: "1-2 hours"
        case .escalation: urgency == .critical ? "4+ hours" : "2-4 hours"
        case .consultation: "2-4 hours"
        }
    }
}
