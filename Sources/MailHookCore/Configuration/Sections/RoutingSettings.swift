import Foundation

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

        /// The checks AUTO_RESPOND must also pass (`routing.autoRespondGuard`).
        public struct AutoRespondGuard: Sendable, Encodable {
            /// The sender's domain must be in ``Routing/autoRespondDomains``.
            public var senderDomain: Bool
            /// When an LLM classified, the offline classifier must agree on the category.
            public var offlineAgreement: Bool

            public init(senderDomain: Bool = true, offlineAgreement: Bool = true) {
                self.senderDomain = senderDomain
                self.offlineAgreement = offlineAgreement
            }
        }

        public var thresholds: Thresholds
        /// Per category, how sure MailHook must be to act alone: auto-handle threshold = factor × 100.
        public var categoryAdjustments: [Category: Double]
        public var autoRespondCategories: [Category]
        public var autoRespondGuard: AutoRespondGuard
        /// Sender domains that may get automatic replies; empty means the domains of the
        /// mailboxes MailHook watches.
        public var autoRespondDomains: [String]

        public static let defaultAdjustments: [Category: Double] = [
            .purchasing: 0.95, .support: 0.85, .information: 0.80, .escalation: 0.90, .consultation: 0.75,
        ]

        public init(thresholds: Thresholds = Thresholds(), categoryAdjustments: [Category: Double] = defaultAdjustments,
                    autoRespondCategories: [Category] = [.information, .support], autoRespondGuard: AutoRespondGuard = AutoRespondGuard(),
                    autoRespondDomains: [String] = []) {
            self.thresholds = thresholds
            self.categoryAdjustments = categoryAdjustments
            self.autoRespondCategories = autoRespondCategories
            self.autoRespondGuard = autoRespondGuard
            self.autoRespondDomains = autoRespondDomains
        }

        init(reader ro: ConfigReader) throws(ConfigError) {
            try ro.rejectUnknownKeys(["thresholds", "categoryAdjustments", "autoRespondCategories", "autoRespondGuard", "autoRespondDomains"])
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
            let g = try ro.scoped("autoRespondGuard")
            try g.rejectUnknownKeys(["senderDomain", "offlineAgreement"])
            let guardSettings = AutoRespondGuard(
                senderDomain: try g.bool("senderDomain", default: true), offlineAgreement: try g.bool("offlineAgreement", default: true))
            let domains = try ro.stringArray("autoRespondDomains").map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". ")) }
            if let bad = domains.firstIndex(where: { $0.isEmpty || $0.contains("@") || !$0.contains(".") }) {
                throw ConfigError(keyPath: "routing.autoRespondDomains[\(bad)]", problem: "expected a domain such as \"contoso.com\"")
            }
            self.init(
                thresholds: thresholds, categoryAdjustments: adjustments, autoRespondCategories: autoRespond, autoRespondGuard: guardSettings,
                autoRespondDomains: domains)
        }

        enum CodingKeys: String, CodingKey { case thresholds, categoryAdjustments, autoRespondCategories, autoRespondGuard, autoRespondDomains }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(thresholds, forKey: .thresholds)
            try c.encode(Dictionary(uniqueKeysWithValues: categoryAdjustments.map { ($0.key.rawValue, $0.value) }), forKey: .categoryAdjustments)
            try c.encode(autoRespondCategories, forKey: .autoRespondCategories)
            try c.encode(autoRespondGuard, forKey: .autoRespondGuard)
            try c.encode(autoRespondDomains, forKey: .autoRespondDomains)
        }
    }
}
