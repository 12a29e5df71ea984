import Foundation

extension MailHookConfiguration {
    /// `teams.*`: how escalations reach people.
    public struct Teams: Sendable, Encodable {
        public var mode: TeamsMode
        public var expertiseMapping: [String: [String]]
        public var userExpertise: [String: [String]]
        public var fallbackMember: String?
        public var delegatedRefreshToken: Secret?
        public var workflowUrl: Secret?

        public init(
            mode: TeamsMode = .off, expertiseMapping: [String: [String]] = [:], userExpertise: [String: [String]] = [:], fallbackMember: String? = nil,
            delegatedRefreshToken: Secret? = nil, workflowUrl: Secret? = nil
        ) {
            self.mode = mode
            self.expertiseMapping = expertiseMapping
            self.userExpertise = userExpertise
            self.fallbackMember = fallbackMember
            self.delegatedRefreshToken = delegatedRefreshToken
            self.workflowUrl = workflowUrl
        }

        init(reader tm: ConfigReader) throws(ConfigError) {
            try tm.rejectUnknownKeys(["mode", "expertiseMapping", "userExpertise", "fallbackMember", "delegatedRefreshToken", "workflowUrl"])
            let mode = try tm.choice("mode", default: TeamsMode.off)
            func stringListMap(_ key: String) throws(ConfigError) -> [String: [String]] {
                let sub = try tm.scoped(key)
                guard let object = sub.node()?.objectValue else { return [:] }
                var out: [String: [String]] = [:]
                for name in object.keys { out[name] = try sub.stringArray(name) }
                return out
            }
            let delegated = mode == .graphChat ? try tm.secret("delegatedRefreshToken") : nil
            if mode == .graphChat, delegated?.isEmpty ?? true {
                throw ConfigError(keyPath: "teams.delegatedRefreshToken", problem: "required when teams.mode is \"graph-chat\" (posting into a chat needs a delegated token)")
            }
            let workflowUrl = mode == .workflowWebhook ? try tm.secret("workflowUrl") : nil
            if mode == .workflowWebhook {
                guard let workflowUrl, let u = URLComponents(string: workflowUrl.value), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                    throw ConfigError(keyPath: "teams.workflowUrl", problem: "required (an absolute URL) when teams.mode is \"workflow-webhook\"")
                }
            }
            let fallback = try tm.optionalString("fallbackMember")
            if mode == .graphChat, fallback == nil {
                throw ConfigError(keyPath: "teams.fallbackMember", problem: "required when teams.mode is \"graph-chat\"")
            }
            self.init(
                mode: mode, expertiseMapping: try stringListMap("expertiseMapping"), userExpertise: try stringListMap("userExpertise"),
                fallbackMember: fallback, delegatedRefreshToken: delegated, workflowUrl: workflowUrl)
        }
    }
}
