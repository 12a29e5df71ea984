extension MailHookConfiguration {
    /// `pipeline.*`: how the dispatcher works through the inbox.
    public struct Pipeline: Sendable, Encodable {
        public var concurrency: Int
        public var maxAttempts: Int
        public var leaseSeconds: Int

        public init(concurrency: Int = 8, maxAttempts: Int = 6, leaseSeconds: Int = 120) {
            self.concurrency = concurrency
            self.maxAttempts = maxAttempts
            self.leaseSeconds = leaseSeconds
        }

        init(reader p: ConfigReader) throws(ConfigError) {
            try p.rejectUnknownKeys(["concurrency", "maxAttempts", "leaseSeconds"])
            self.init(
                concurrency: try p.int("concurrency", default: 8, range: 1...256),
                maxAttempts: try p.int("maxAttempts", default: 6, range: 1...100),
                leaseSeconds: try p.int("leaseSeconds", default: 120, range: 5...86400))
        }
    }
}
