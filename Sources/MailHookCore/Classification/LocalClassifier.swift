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
/// - Each rule counts once per zone: the subject (weight ×1.5), the body (×1) and quoted or
///   forwarded text below the first quote marker (×0.5).
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
    public static let rulesVersion = "mh-local-1"

    let rules: CompiledRules

    public init() {
        rules = CompiledRules.standard
    }

    public func classify(subject: String, body: String) -> Classification {
        var scan = Scan(rules: rules)
        scan.add(zone: .subject, text: subject)
        let split = Self.quoteStart(in: body)
        scan.add(zone: .body, text: String(body[..<split]))
        if split < body.endIndex { scan.add(zone: .quoted, text: String(body[split...])) }
        scan.addFeatures(subject: subject, body: body)
        return scan.result()
    }

    /// Where quoted or forwarded text starts: the first line that is a quote (`>`), an
    /// "Original Message" or "Forwarded message" separator, an Outlook header block (`From:` after
    /// the first line) or an "On … wrote:" line.
    static func quoteStart(in body: String) -> String.Index {
        var lineStart = body.startIndex
        var first = true
        while lineStart < body.endIndex {
            let lineEnd = body[lineStart...].firstIndex(of: "\n") ?? body.endIndex
            let line = body[lineStart..<lineEnd].drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix(">") || line.hasPrefix("-----Original Message") || line.hasPrefix("---------- Forwarded")
                || line.hasPrefix("----- Forwarded") || (!first && line.hasPrefix("From:"))
                || (line.hasPrefix("On ") && line.hasSuffix("wrote:"))
            {
                return lineStart
            }
            first = false
            lineStart = lineEnd < body.endIndex ? body.index(after: lineEnd) : body.endIndex
        }
        return body.endIndex
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
        var features: [(label: String, category: Category?, urgency: Urgency?, weight: Double)] = []
        // Reused token buffers.
        var ids: [Int32] = []
        var offsets: [Int32] = []

        init(rules: CompiledRules) {
            self.rules = rules
            fired = rules.layers.map { [UInt8](repeating: 0, count: $0.rules.count) }
            firedList = rules.layers.map { _ in [] }
            ids.reserveCapacity(512)
            offsets.reserveCapacity(512)
        }

        mutating func add(zone: Zone, text: String) {
            rules.tokenize(text, ids: &ids, offsets: &offsets)
            let count = offsets.count - 1
            guard count > 0 else { return }
            let bit = UInt8(1) << UInt8(zone.rawValue)
            for layerIndex in rules.layers.indices {
                let layer = rules.layers[layerIndex]
                var position = 0
                while position < count {
                    var bestLength = 0
                    var best = -1
                    for k in Int(offsets[position])..<Int(offsets[position + 1]) {
                        let word = Int(ids[k])
                        guard word < layer.byFirstWord.count else { continue }
                        for ruleIndex in layer.byFirstWord[word] {
                            let words = layer.rules[ruleIndex].words
                            if words.count > bestLength, matches(words, at: position, count: count) {
                                bestLength = words.count
                                best = ruleIndex
                            }
                        }
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

        func matches(_ words: [Int32], at position: Int, count: Int) -> Bool {
            guard position + words.count <= count else { return false }
            for t in 1..<max(words.count, 1) where words.count > 1 {
                let wanted = words[t]
                if wanted == CompiledRules.anyWord { continue }
                var found = false
                for k in Int(offsets[position + t])..<Int(offsets[position + t + 1]) where ids[k] == wanted {
                    found = true
                    break
                }
                if !found { return false }
            }
            return true
        }

        /// Signals that are not words: question marks, sums of money, shouting.
        mutating func addFeatures(subject: String, body: String) {
            var questions = 0
            var money = false
            var previous: Character = " "
            for ch in subject.prefix(300) where ch == "?" { questions += 1 }
            var seen = 0
            for ch in body {
                seen += 1
                if seen > 4000 { break }
                if ch == "?" { questions += 1 }
                if previous == "$", ch.isNumber { money = true }
                previous = ch
            }
            if questions > 0 {
                let w = min(Double(questions), 2)
                features.append(("\(questions) question mark(s)", .information, nil, 0.6 * w))
                features.append(("\(questions) question mark(s)", .consultation, nil, 0.4 * w))
            }
            if money { features.append(("an amount of money", .purchasing, nil, 1.0)) }
        }

        // MARK: Result

        func zoneFactor(_ bits: UInt8) -> Double {
            var total = 0.0
            for zone in Zone.allCases where bits & (1 << UInt8(zone.rawValue)) != 0 { total += zone.factor }
            return total
        }

        func zoneNames(_ bits: UInt8) -> String {
            Zone.allCases.filter { bits & (1 << UInt8($0.rawValue)) != 0 }.map(\.name).joined(separator: "+")
        }

        func result() -> Classification {
            var cues: [(text: String, weight: Double)] = []

            // Categories.
            var categoryScores = [Double](repeating: 0, count: Category.allCases.count)
            var categoryEvidence: [[(String, Double)]] = Array(repeating: [], count: Category.allCases.count)
            for ruleIndex in firedList[CompiledRules.categoryLayer] {
                let rule = rules.layers[CompiledRules.categoryLayer].rules[ruleIndex]
                let bits = fired[CompiledRules.categoryLayer][ruleIndex]
                let factor = zoneFactor(bits)
                for effect in rule.effects {
                    let w = effect.weight * factor
                    categoryScores[effect.target] += w
                    categoryEvidence[effect.target].append((rule.label, w))
                    cues.append(("\(Category.allCases[effect.target].rawValue) \(Self.signed(w)): \"\(rule.label)\" in \(zoneNames(bits))", abs(w)))
                }
            }
            var urgencyScores = [Double](repeating: 0, count: Urgency.allCases.count)
            for feature in features {
                if let c = feature.category, let i = Category.allCases.firstIndex(of: c) {
                    categoryScores[i] += feature.weight
                    categoryEvidence[i].append((feature.label, feature.weight))
                    cues.append(("\(c.rawValue) \(Self.signed(feature.weight)): \(feature.label)", feature.weight))
                }
                if let u = feature.urgency, let i = Urgency.allCases.firstIndex(of: u) {
                    urgencyScores[i] += feature.weight
                    cues.append(("urgency \(u.rawValue) \(Self.signed(feature.weight)): \(feature.label)", feature.weight))
                }
            }
            for i in categoryScores.indices { categoryScores[i] = max(categoryScores[i], 0) }
            var order = Array(Category.allCases.indices)
            order.sort { categoryScores[$0] != categoryScores[$1] ? categoryScores[$0] > categoryScores[$1] : Self.tiePriority[$0] < Self.tiePriority[$1] }
            let best = order[0]
            let second = order[1]
            let noEvidence = categoryScores[best] <= 0
            let category = noEvidence ? Category.support : Category.allCases[best]
            let confidence = noEvidence ? 20 : Self.confidence(best: categoryScores[best], second: categoryScores[second], total: categoryScores.reduce(0, +))

            // Urgency.
            var urgencyLabels: [[String]] = Array(repeating: [], count: Urgency.allCases.count)
            for ruleIndex in firedList[CompiledRules.urgencyLayer] {
                let rule = rules.layers[CompiledRules.urgencyLayer].rules[ruleIndex]
                let bits = fired[CompiledRules.urgencyLayer][ruleIndex]
                let factor = min(zoneFactor(bits), 1.5)
                for effect in rule.effects {
                    let w = effect.weight * factor
                    urgencyScores[effect.target] += w
                    urgencyLabels[effect.target].append(rule.label)
                    cues.append(("urgency \(Urgency.allCases[effect.target].rawValue) \(Self.signed(w)): \"\(rule.label)\" in \(zoneNames(bits))", abs(w)))
                }
            }
            let urgency = Self.urgency(urgencyScores, category: category)

            // Expertise.
            var expertiseScores: [String: Double] = [:]
            for ruleIndex in firedList[CompiledRules.expertiseLayer] {
                let rule = rules.layers[CompiledRules.expertiseLayer].rules[ruleIndex]
                let bits = fired[CompiledRules.expertiseLayer][ruleIndex]
                for effect in rule.effects {
                    let name = rules.expertiseNames[effect.target]
                    expertiseScores[name, default: 0] += effect.weight * zoneFactor(bits)
                    cues.append(("expertise \(name): \"\(rule.label)\" in \(zoneNames(bits))", 0))
                }
            }
            var expertise = expertiseScores.filter { $0.value >= 1 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(3).map(\.key)
            if category == .purchasing, !expertise.contains("procurement") { expertise.insert("procurement", at: 0) }
            if expertise.count > 3 { expertise.removeLast(expertise.count - 3) }

            // Explanation: strongest category evidence first.
            let topEvidence = categoryEvidence[best].sorted { $0.1 > $1.1 }.prefix(4).map { "\"\($0.0)\"" }
            var reasoning: String
            if noEvidence {
                reasoning = "No category rule matched; defaulted to SUPPORT with low confidence."
            } else {
                reasoning = "\(category.rawValue) scored \(Self.rounded(categoryScores[best])) from \(topEvidence.joined(separator: ", "))"
                reasoning += categoryScores[second] > 0
                    ? "; next \(Category.allCases[second].rawValue) \(Self.rounded(categoryScores[second]))." : "; no other category matched."
            }
            let urgencyIndex = Urgency.allCases.firstIndex(of: urgency)!
            if urgencyLabels[urgencyIndex].isEmpty {
                reasoning += " Urgency \(urgency.rawValue) is the default for \(category.rawValue)."
            } else {
                reasoning += " Urgency \(urgency.rawValue) from \(urgencyLabels[urgencyIndex].prefix(3).map { "\"\($0)\"" }.joined(separator: ", "))."
            }

            let sortedCues = cues.enumerated().sorted { $0.element.weight != $1.element.weight ? $0.element.weight > $1.element.weight : $0.offset < $1.offset }
                .map(\.element.text)
            return Classification(
                category: category,
                confidence: confidence,
                reasoning: reasoning,
                urgency: urgency,
                suggestedAction: LocalClassifier.suggestedAction(category: category, urgency: urgency),
                requiredExpertise: expertise,
                estimatedEffort: LocalClassifier.estimatedEffort(category: category, urgency: urgency),
                cues: Array(sortedCues.prefix(24)),
                modelUsed: LocalClassifier.modelName,
                promptVersion: LocalClassifier.rulesVersion,
                tokensUsed: nil)
        }

        /// When scores tie, the cheaper mistake wins: a person still reads SUPPORT and INFORMATION.
        static let tiePriority: [Int] = Category.allCases.map { category in
            switch category {
            case .support: 0
            case .information: 1
            case .purchasing: 2
            case .consultation: 3
            case .escalation: 4
            }
        }

        static func signed(_ w: Double) -> String { (w >= 0 ? "+" : "") + rounded(w) }

        static func rounded(_ w: Double) -> String {
            let r = (w * 10).rounded() / 10
            return r == r.rounded() ? String(Int(r)) : String(r)
        }
    }
}
