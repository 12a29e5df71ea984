extension MailHookConfiguration {
    /// `database.*`.
    public struct Database: Sendable, Encodable {
        public var url: DatabaseURL
        /// PostgreSQL pool size (connections per replica).
        public var maxConnections: Int

        public init(url: DatabaseURL, maxConnections: Int = 16) {
            self.url = url
            self.maxConnections = maxConnections
        }

        init(reader d: ConfigReader) throws(ConfigError) {
            try d.rejectUnknownKeys(["url", "maxConnections"])
            let text = try d.string("url", default: "sqlite://data/mailhook.sqlite")
            switch DatabaseURL.parse(text) {
            case .success(let url): self.init(url: url, maxConnections: try d.int("maxConnections", default: 16, range: 1...500))
            case .failure(let invalid): throw ConfigError(keyPath: "database.url", problem: invalid.reason)
            }
        }
    }
}
