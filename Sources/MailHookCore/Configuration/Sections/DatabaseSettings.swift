extension MailHookConfiguration {
    /// `database.*`.
    public struct Database: Sendable, Encodable {
        public var url: DatabaseURL
        /// PostgreSQL pool size (connections per replica).
        public var maxConnections: Int
        /// PostgreSQL: connections of the receive path's own (its group commits, one per
        /// connection), beside the pool, so acknowledgements never queue behind pipeline work.
        public var intakeConnections: Int
        /// PostgreSQL: keep the per-email statements prepared on each connection. Off for a
        /// pooler that cannot carry named statements (PgBouncer in transaction mode before 1.21,
        /// or without `max_prepared_statements`).
        public var preparedStatements: Bool

        public init(url: DatabaseURL, maxConnections: Int = 16, intakeConnections: Int = 2, preparedStatements: Bool = true) {
            self.url = url
            self.maxConnections = maxConnections
            self.intakeConnections = intakeConnections
            self.preparedStatements = preparedStatements
        }

        init(reader d: ConfigReader) throws(ConfigError) {
            try d.rejectUnknownKeys(["url", "maxConnections", "intakeConnections", "preparedStatements"])
            let text = try d.string("url", default: "sqlite://data/mailhook.sqlite")
            switch DatabaseURL.parse(text) {
            case .success(let url):
                self.init(
                    url: url, maxConnections: try d.int("maxConnections", default: 16, range: 1...500),
                    intakeConnections: try d.int("intakeConnections", default: 2, range: 1...16),
                    preparedStatements: try d.bool("preparedStatements", default: true))
            case .failure(let invalid): throw ConfigError(keyPath: "database.url", problem: invalid.reason)
            }
        }
    }
}
