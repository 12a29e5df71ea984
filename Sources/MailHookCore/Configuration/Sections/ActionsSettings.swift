extension MailHookConfiguration {
    /// `actions.*`: whether the pipeline acts or only records what it would do, and the limits
    /// on answering by itself.
    public struct Actions: Sendable, Encodable {
        public var mode: ActionMode
        /// A sender who got an automatic reply within this many hours gets a draft instead (0: no limit).
        public var replyWindowHours: Int
        /// How replies are signed; links and numbers in it may appear in automatic replies.
        public var replySignature: String
        /// An action whose outcome is unknown (its worker died or lost the answer mid-call) and that
        /// cannot be found done is not sent again until this many seconds after it began: the first
        /// call may still land at the other side.
        public var unknownOutcomeWaitSeconds: Int

        public init(mode: ActionMode = .dryRun, replyWindowHours: Int = 24, replySignature: String = "IT Department", unknownOutcomeWaitSeconds: Int = 600) {
            self.mode = mode
            self.replyWindowHours = replyWindowHours
            self.replySignature = replySignature
            self.unknownOutcomeWaitSeconds = unknownOutcomeWaitSeconds
        }

        init(reader a: ConfigReader) throws(ConfigError) {
            try a.rejectUnknownKeys(["mode", "replyWindowHours", "replySignature", "unknownOutcomeWaitSeconds"])
            let signature = try a.string("replySignature", default: "IT Department")
            guard !signature.isEmpty, signature.count <= 500 else {
                throw ConfigError(keyPath: "actions.replySignature", problem: "expected 1 to 500 characters")
            }
            self.init(
                mode: try a.choice("mode", default: ActionMode.dryRun),
                replyWindowHours: try a.int("replyWindowHours", default: 24, range: 0...8760), replySignature: signature,
                unknownOutcomeWaitSeconds: try a.int("unknownOutcomeWaitSeconds", default: 600, range: 0...86400))
        }
    }
}
