extension MailHookConfiguration {
    /// `actions.*`: whether the pipeline acts or only records what it would do.
    public struct Actions: Sendable, Encodable {
        public var mode: ActionMode

        public init(mode: ActionMode = .dryRun) {
            self.mode = mode
        }

        init(reader a: ConfigReader) throws(ConfigError) {
            try a.rejectUnknownKeys(["mode"])
            self.init(mode: try a.choice("mode", default: ActionMode.dryRun))
        }
    }
}
