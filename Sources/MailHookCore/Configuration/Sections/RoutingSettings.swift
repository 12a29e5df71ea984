extension MailHookConfiguration {
    /// `routing.*`: confidence routing (DESIGN §3 "Routing").
    public struct Routing: Sendable, Encodable {
        public struct Thresholds: Sendable, Encodable {
            public var autoHandle: Double
            public var suggestResponse: Double
            public var humanReview: Double

            public init(autoHandle: Double = 85, suggestResponse: Double = 60, humanReview: Double = 40) {
                self.autoHandle = autoHandle
                self.suggestResponse = suggestResponse
                self.humanReview = humanReview
            }
        }

        public var thresholds: Thresholds
        /// Per category, how sure MailHook must be to act alone: auto-handle threshold = factor × 100.
        public var categoryAdjustments: [Category: Double]
        public var autoRespondCategories: [Category]

        public static let defaultAdjustments: [Category: Double] = [
            .purchasing: 0.95, .support: 0.85, .information: 0.80, .escalation: 0.90, .consultation: 0.75,
        ]

        public init(thresholds: Thresholds = Thresholds(), categoryAdjustments: [Category: Double] = defaultAdjustments,
                    autoRespondCategories: [Category] = [.information, .support]) {
            self.thresholds = thresholds
            self.categoryAdjustments = categoryAdjustments
            self.autoRespondCategories = autoRespondCategories
        }

        init(reader ro: ConfigReader) throws(ConfigError) {
            try ro.rejectUnknownKeys(["thresholds", "categoryAdjustments", "autoRespondCategories"])
            let th = try ro.scoped("thresholds")
            try th.rejectUnknownKeys(["autoHandle", "suggestResponse", "humanReview"])
            let thresholds = Thresholds(
                autoHandle: try th.double("autoHandle", default: 85, range: 0...100),
                suggestResponse: try th.double("suggestResponse", default: 60, range: 0...100),
                humanReview: try th.double("humanReview", default: 40, range: 0...100))
            guard thresholds.humanReview <= thresholds.suggestResponse else {
                throw ConfigError(keyPath: "routing.thresholds.humanReview", problem: "must not exceed routing.thresholds.suggestResponse")
            }
            let adj = try ro.scoped("categoryAdjustments")
            try adj.rejectUnknownKeys(Set(Category.names))
            var adjustments = Self.defaultAdjustments
            for category in Category.allCases where adj.contains(category.rawValue) {
                adjustments[category] = try adj.double(category.rawValue, default: adjustments[category] ?? 0.85, range: 0...1)
            }
            var autoRespond: [Category] = [.information, .support]
            if ro.contains("autoRespondCategories") {
                autoRespond = []
                for (i, name) in try ro.stringArray("autoRespondCategories").enumerated() {
                    guard let category = Category(rawValue: name) else {
                        throw ConfigError(keyPath: "routing.autoRespondCategories[\(i)]", problem: "\"\(name)\" is not one of \(Category.names.joined(separator: ", "))")
                    }
                    autoRespond.append(category)
                }
            }
            self.init(thresholds: thresholds, categoryAdjustments: adjustments, autoRespondCategories: autoRespond)
        }

        enum CodingKeys: String, CodingKey { case thresholds, categoryAdjustments, autoRespondCategories }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(thresholds, forKey: .thresholds)
            try c.encode(Dictionary(uniqueKeysWithValues: categoryAdjustments.map { ($0.key.rawValue, $0.value) }), forKey: .categoryAdjustments)
            try c.encode(autoRespondCategories, forKey: .autoRespondCategories)
        }
    }
}
