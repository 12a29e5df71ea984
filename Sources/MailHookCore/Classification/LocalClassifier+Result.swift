/// Turning the rules that fired into a ``Classification``: cue scores, the trained heads' evidence
/// when a model takes part, the decision, its confidence and its explanation.
extension LocalClassifier.Scan {
    /// The strongest zone counts fully; a repeat in another zone adds a quarter of its factor.
    func zoneFactor(_ bits: UInt8) -> Double {
        var strongest = 0.0
        var sum = 0.0
        for zone in LocalClassifier.Zone.allCases where bits & (1 << UInt8(zone.rawValue)) != 0 {
            strongest = max(strongest, zone.factor)
            sum += zone.factor
        }
        return strongest + 0.25 * (sum - strongest)
    }

    func zoneNames(_ bits: UInt8) -> String {
        LocalClassifier.Zone.allCases.filter { bits & (1 << UInt8($0.rawValue)) != 0 }.map(\.name).joined(separator: "+")
    }

    /// What the cues add up to, before any decision.
    struct CueScores {
        /// Per category (`Category.allCases` order), after critical cues fed ESCALATION; never negative.
        var category: [Double]
        var categoryEvidence: [[(String, Double)]]
        /// Per urgency (`Urgency.allCases` order).
        var urgency: [Double]
        var urgencyLabels: [[String]]
        var expertise: [String: Double]
        var cues: [(text: String, weight: Double)]

        /// What the rules alone choose: the highest score (ties to the cheaper mistake), SUPPORT without evidence.
        var rulesCategory: Category {
            let best = Category.allCases.indices.max { category[$0] != category[$1] ? category[$0] < category[$1] : LocalClassifier.Scan.tiePriority[$0] > LocalClassifier.Scan.tiePriority[$1] } ?? 0
            return category[best] > 0 ? Category.allCases[best] : .support
        }
    }

    func scores() -> CueScores {
        var cues: [(text: String, weight: Double)] = []

        // Categories.
        var categoryScores = [Double](repeating: 0, count: Category.allCases.count)
        var categoryEvidence: [[(String, Double)]] = Array(repeating: [], count: Category.allCases.count)
        for ruleIndex in firedList[CompiledRules.categoryLayer] {
            let layer = rules.layers[CompiledRules.categoryLayer]
            let label = layer.labels[ruleIndex]
            let bits = fired[CompiledRules.categoryLayer][ruleIndex]
            let factor = zoneFactor(bits)
            for (target, weight) in layer.effects(of: ruleIndex) where weight != 0 {
                let w = weight * factor
                categoryScores[target] += w
                categoryEvidence[target].append((label, w))
                cues.append(("\(Category.allCases[target].rawValue) \(Self.signed(w)): \"\(label)\" in \(zoneNames(bits))", abs(w)))
            }
        }
        var features: [(label: String, category: Category, weight: Double)] = []
        if questions > 0 {
            let w = min(Double(questions), 2)
            features.append(("\(questions) question mark(s)", .information, 0.6 * w))
            features.append(("\(questions) question mark(s)", .consultation, 0.4 * w))
        }
        if money { features.append(("an amount of money", .purchasing, 1.0)) }
        for feature in features {
            let i = Category.allCases.firstIndex(of: feature.category)!
            categoryScores[i] += feature.weight
            categoryEvidence[i].append((feature.label, feature.weight))
            cues.append(("\(feature.category.rawValue) \(Self.signed(feature.weight)): \(feature.label)", feature.weight))
        }
        // Urgency.
        var urgencyScores = [Double](repeating: 0, count: Urgency.allCases.count)
        var urgencyLabels: [[String]] = Array(repeating: [], count: Urgency.allCases.count)
        for ruleIndex in firedList[CompiledRules.urgencyLayer] {
            let layer = rules.layers[CompiledRules.urgencyLayer]
            let label = layer.labels[ruleIndex]
            let bits = fired[CompiledRules.urgencyLayer][ruleIndex]
            let factor = min(zoneFactor(bits), 1.5)
            for (target, weight) in layer.effects(of: ruleIndex) where weight != 0 {
                let w = weight * factor
                urgencyScores[target] += w
                urgencyLabels[target].append(label)
                cues.append(("urgency \(Urgency.allCases[target].rawValue) \(Self.signed(w)): \"\(label)\" in \(zoneNames(bits))", abs(w)))
            }
        }
        // A major incident is an escalation even when it is worded as a plain problem report.
        let critical = urgencyScores[Urgency.allCases.firstIndex(of: .critical)!]
        if critical > 0, let e = Category.allCases.firstIndex(of: .escalation) {
            let w = Self.criticalToEscalation * critical
            categoryScores[e] += w
            categoryEvidence[e].append(("critical urgency cues", w))
            cues.append(("ESCALATION \(Self.signed(w)): critical urgency cues", w))
        }
        for i in categoryScores.indices { categoryScores[i] = max(categoryScores[i], 0) }
        // Expertise.
        var expertiseScores: [String: Double] = [:]
        for ruleIndex in firedList[CompiledRules.expertiseLayer] {
            let layer = rules.layers[CompiledRules.expertiseLayer]
            let label = layer.labels[ruleIndex]
            let bits = fired[CompiledRules.expertiseLayer][ruleIndex]
            for (target, weight) in layer.effects(of: ruleIndex) {
                let name = rules.expertiseNames[target]
                expertiseScores[name, default: 0] += weight * zoneFactor(bits)
                cues.append(("expertise \(name): \"\(label)\" in \(zoneNames(bits))", 0))
            }
        }
        return CueScores(
            category: categoryScores, categoryEvidence: categoryEvidence, urgency: urgencyScores, urgencyLabels: urgencyLabels,
            expertise: expertiseScores, cues: cues)
    }

    func result() -> Classification {
        let s = scores()
        var cues = s.cues
        let categoryScores = s.category
        let categoryEvidence = s.categoryEvidence
        let urgencyLabels = s.urgencyLabels
        var order = Array(Category.allCases.indices)
        order.sort { categoryScores[$0] != categoryScores[$1] ? categoryScores[$0] > categoryScores[$1] : Self.tiePriority[$0] < Self.tiePriority[$1] }
        var best = order[0]
        var second = order[1]
        let noEvidence = categoryScores[best] <= 0
        var category = noEvidence ? Category.support : Category.allCases[best]
        var confidence = noEvidence ? 20 : Self.confidence(best: categoryScores[best], second: categoryScores[second], total: categoryScores.reduce(0, +))
        var urgency = Self.urgency(s.urgency, category: category)
        var trainedNote: String?
        var urgencyNote: String?

        if let (heads, features, shape) = trained {
            let decision = heads.decide(features: features, shape: shape, scores: s)
            best = decision.category
            second = decision.secondCategory
            category = Category.allCases[best]
            confidence = decision.confidence
            urgency = Urgency.allCases[decision.urgency]
            if category == .escalation, urgency == .low { urgency = .medium }
            let p = decision.categoryProbabilities
            trainedNote = "trained model \(heads.name): \(category.rawValue) \(Self.percent(p[best])), next \(Category.allCases[second].rawValue) \(Self.percent(p[second]))"
                + (noEvidence || Category.allCases[order[0]] == category ? "" : "; the cues alone chose \(Category.allCases[order[0]].rawValue)")
            urgencyNote = "trained model \(heads.name): urgency \(urgency.rawValue) \(Self.percent(decision.urgencyProbabilities[decision.urgency]))"
            if decision.urgency != decision.likeliestUrgency, urgency == .critical, let note = urgencyNote {
                let likeliest = decision.likeliestUrgency
                let threshold = Self.percent(heads.criticalLikelihood)
                let top = "\(Urgency.allCases[likeliest].rawValue) \(Self.percent(decision.urgencyProbabilities[likeliest]))"
                urgencyNote = "\(note) (CRITICAL from \(threshold) up; likeliest \(top))"
            }
            cues.insert((trainedNote ?? "", 99), at: 0)
            cues.insert((urgencyNote ?? "", 98), at: 1)
        }

        let expertiseScores = s.expertise
        var expertise = expertiseScores.filter { $0.value >= 1 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(3).map(\.key)
        if category == .purchasing, !expertise.contains("procurement") { expertise.insert("procurement", at: 0) }
        if expertise.count > 3 { expertise.removeLast(expertise.count - 3) }

        // Explanation: strongest category evidence first.
        let topEvidence = categoryEvidence[best].sorted { $0.1 > $1.1 }.prefix(4).map { "\"\($0.0)\"" }
        var reasoning: String
        if let trainedNote {
            reasoning = trainedNote.prefix(1).uppercased() + trainedNote.dropFirst()
            reasoning += topEvidence.isEmpty ? "; no cue for \(category.rawValue)." : "; cues for it: \(topEvidence.joined(separator: ", "))."
        } else if noEvidence {
            reasoning = "No category rule matched; defaulted to SUPPORT with low confidence."
        } else {
            reasoning = "\(category.rawValue) scored \(Self.rounded(categoryScores[best])) from \(topEvidence.joined(separator: ", "))"
            reasoning += categoryScores[second] > 0
                ? "; next \(Category.allCases[second].rawValue) \(Self.rounded(categoryScores[second]))." : "; no other category matched."
        }
        let urgencyIndex = Urgency.allCases.firstIndex(of: urgency) ?? 0
        if let urgencyNote {
            reasoning += " Urgency \(urgency.rawValue) from the \(urgencyNote.drop(while: { $0 != ":" }).dropFirst(2))"
            reasoning += urgencyLabels[urgencyIndex].isEmpty ? "." : " and \(urgencyLabels[urgencyIndex].prefix(3).map { "\"\($0)\"" }.joined(separator: ", "))."
        } else if urgencyLabels[urgencyIndex].isEmpty {
            reasoning += " Urgency \(urgency.rawValue) is the default for \(category.rawValue)."
        } else {
            reasoning += " Urgency \(urgency.rawValue) from \(urgencyLabels[urgencyIndex].prefix(3).map { "\"\($0)\"" }.joined(separator: ", "))."
        }

        if skippedParagraphs > 0 {
            cues.append(("ignored \(skippedParagraphs) paragraph(s) addressed to a classifier", 100))
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
            modelUsed: trained == nil ? LocalClassifier.modelName : LocalClassifier.trainedModelName,
            promptVersion: trained.map { LocalClassifier.rulesVersion + "+" + $0.heads.name } ?? LocalClassifier.rulesVersion,
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

    static let criticalToEscalation = 0.4

    static func percent(_ p: Double) -> String { "\(Int((p * 100).rounded())) %" }

    static func signed(_ w: Double) -> String { (w >= 0 ? "+" : "") + rounded(w) }

    static func rounded(_ w: Double) -> String {
        let r = (w * 10).rounded() / 10
        return Int(exactly: r).map(String.init) ?? String(r)
    }
}
