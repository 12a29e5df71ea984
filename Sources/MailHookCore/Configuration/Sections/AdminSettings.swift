extension MailHookConfiguration {
    /// `admin.*`: the bearer token of the admin routes, and whether `/metrics` needs it too.
    public struct Admin: Sendable, Encodable {
        public var token: Secret?
        /// `GET /metrics` answers only with the admin token (Graph needs the listener public, and
        /// the metrics tell an outsider how much mail arrives and what is rejected).
        public var protectMetrics: Bool

        public init(token: Secret? = nil, protectMetrics: Bool = false) {
            self.token = token
            self.protectMetrics = protectMetrics
        }

        init(reader ad: ConfigReader) throws(ConfigError) {
            try ad.rejectUnknownKeys(["token", "protectMetrics"])
            let token = try ad.optionalString("token").map(Secret.init)
            if let token, token.value.count < 16 {
                throw ConfigError(keyPath: "admin.token", problem: "must be at least 16 characters")
            }
            let protectMetrics = try ad.bool("protectMetrics", default: false)
            if protectMetrics, token == nil {
                throw ConfigError(keyPath: "admin.protectMetrics", problem: "needs admin.token (the token /metrics would ask for)")
            }
            self.init(token: token, protectMetrics: protectMetrics)
        }
    }
}
