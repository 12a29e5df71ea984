extension MailHookConfiguration {
    /// `admin.*`: the bearer token of the admin routes.
    public struct Admin: Sendable, Encodable {
        public var token: Secret?

        public init(token: Secret? = nil) {
            self.token = token
        }

        init(reader ad: ConfigReader) throws(ConfigError) {
            try ad.rejectUnknownKeys(["token"])
            let token = try ad.optionalString("token").map(Secret.init)
            if let token, token.value.count < 16 {
                throw ConfigError(keyPath: "admin.token", problem: "must be at least 16 characters")
            }
            self.init(token: token)
        }
    }
}
