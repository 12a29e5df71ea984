import Foundation

extension MailHookConfiguration {
    /// `graph.*`: the app registration, mailboxes and subscription timing. Absent `tenantId`
    /// turns every Graph feature off; the server still runs.
    public struct Graph: Sendable, Encodable {
        /// False when `graph.tenantId` is absent: the server runs without Graph features.
        public var enabled: Bool
        public var tenantId: String?
        public var clientId: String?
        public var clientSecret: Secret?
        /// A certificate credential instead of the secret: the certificate uploaded to the app
        /// registration (PEM) and its RSA private key (PEM).
        public var certificateFile: String?
        public var privateKeyFile: String?
        public var authorityHost: String
        public var baseUrl: String
        public var mailboxes: [String]
        public var folder: String
        public var clientState: Secret?
        public var filters: EmailFilter
        public var deltaIntervalMinutes: Int
        public var subscriptionMinutes: Int
        public var renewBeforeMinutes: Int
        public var renewIntervalSeconds: Int
        /// Subscriptions made outside MailHook whose notifications carry the static `clientState`;
        /// only these may use it, and only for their own mailbox.
        public var externalSubscriptions: [ExternalSubscription]

        public struct ExternalSubscription: Sendable, Encodable, Equatable {
            public var id: String
            /// The mailbox's address or object id, as its notifications name it.
            public var mailbox: String

            public init(id: String, mailbox: String) {
                self.id = id
                self.mailbox = mailbox
            }
        }

        static let keys: Set<String> = [
            "tenantId", "clientId", "clientSecret", "certificateFile", "privateKeyFile", "authorityHost", "baseUrl", "mailboxes", "folder", "clientState",
            "filters", "deltaIntervalMinutes", "subscriptionMinutes", "renewBeforeMinutes", "renewIntervalSeconds", "externalSubscriptions",
        ]

        /// Graph on for a tenant (or off with `tenantId` nil), every other key at its default.
        public init(
            tenantId: String?, clientId: String? = nil, clientSecret: Secret? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil,
            authorityHost: String = "https://login.microsoftonline.com",
            baseUrl: String = "https://graph.microsoft.com/v1.0", mailboxes: [String] = [], folder: String = "Inbox", clientState: Secret? = nil,
            filters: EmailFilter = EmailFilter(), deltaIntervalMinutes: Int = 360, subscriptionMinutes: Int = 4230, renewBeforeMinutes: Int = 60,
            renewIntervalSeconds: Int = 300, externalSubscriptions: [ExternalSubscription] = []
        ) {
            self.enabled = tenantId != nil
            self.tenantId = tenantId
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.authorityHost = authorityHost
            self.baseUrl = baseUrl
            self.mailboxes = mailboxes
            self.folder = folder
            self.clientState = clientState
            self.filters = filters
            self.deltaIntervalMinutes = deltaIntervalMinutes
            self.subscriptionMinutes = subscriptionMinutes
            self.renewBeforeMinutes = renewBeforeMinutes
            self.renewIntervalSeconds = renewIntervalSeconds
            self.externalSubscriptions = externalSubscriptions
        }

        init(reader g: ConfigReader) throws(ConfigError) {
            try g.rejectUnknownKeys(Self.keys)
            tenantId = try g.optionalString("tenantId")
            enabled = tenantId != nil
            clientId = enabled ? try g.string("clientId") : try g.optionalString("clientId")
            if enabled, clientId?.isEmpty ?? true {
                throw ConfigError(keyPath: "graph.clientId", problem: "required when graph.tenantId is set")
            }
            clientSecret = enabled ? try g.secret("clientSecret") : nil
            certificateFile = try g.optionalString("certificateFile")
            privateKeyFile = try g.optionalString("privateKeyFile")
            switch (certificateFile, privateKeyFile) {
            case (.some, nil): throw ConfigError(keyPath: "graph.privateKeyFile", problem: "required when graph.certificateFile is set")
            case (nil, .some): throw ConfigError(keyPath: "graph.certificateFile", problem: "required when graph.privateKeyFile is set")
            default: break
            }
            if enabled {
                let secret = !(clientSecret?.isEmpty ?? true)
                if clientSecret != nil, certificateFile != nil {
                    throw ConfigError(keyPath: "graph.clientSecret", problem: "give either graph.clientSecret or graph.certificateFile, not both")
                }
                if !secret, certificateFile == nil {
                    throw ConfigError(
                        keyPath: "graph.clientSecret", problem: "required when graph.tenantId is set (or graph.certificateFile and graph.privateKeyFile)")
                }
                if !secret { clientSecret = nil }
            }
            clientState = try g.optionalString("clientState").map(Secret.init)
            if let clientState, clientState.value.count > 128 {
                throw ConfigError(keyPath: "graph.clientState", problem: "must be at most 128 characters")
            }
            let authority = try g.string("authorityHost", default: "https://login.microsoftonline.com")
            let base = try g.string("baseUrl", default: "https://graph.microsoft.com/v1.0")
            for (key, value) in [("authorityHost", authority), ("baseUrl", base)] {
                guard let u = URLComponents(string: value), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                    throw ConfigError(keyPath: "graph.\(key)", problem: "expected an absolute URL, got \"\(value)\"")
                }
            }
            authorityHost = authority.hasSuffix("/") ? String(authority.dropLast()) : authority
            baseUrl = base.hasSuffix("/") ? String(base.dropLast()) : base
            subscriptionMinutes = try g.int("subscriptionMinutes", default: 4230, range: 45...10080)
            renewBeforeMinutes = try g.int("renewBeforeMinutes", default: 60, range: 1...10000)
            guard renewBeforeMinutes < subscriptionMinutes else {
                throw ConfigError(keyPath: "graph.renewBeforeMinutes", problem: "must be less than graph.subscriptionMinutes (\(subscriptionMinutes))")
            }
            mailboxes = try g.stringArray("mailboxes")
            if enabled, let empty = mailboxes.firstIndex(where: { $0.isEmpty }) {
                throw ConfigError(keyPath: "graph.mailboxes[\(empty)]", problem: "must not be empty")
            }
            folder = try g.string("folder", default: "Inbox")
            filters = try EmailFilter(reader: try g.scoped("filters"))
            deltaIntervalMinutes = try g.int("deltaIntervalMinutes", default: 360, range: 1...10080)
            renewIntervalSeconds = try g.int("renewIntervalSeconds", default: 300, range: 1...86400)
            externalSubscriptions = try Self.externalSubscriptions(g)
            if !externalSubscriptions.isEmpty, clientState == nil {
                throw ConfigError(keyPath: "graph.clientState", problem: "required when graph.externalSubscriptions are listed")
            }
        }

        static func externalSubscriptions(_ g: ConfigReader) throws(ConfigError) -> [ExternalSubscription] {
            guard let items = g.raw("externalSubscriptions") else { return [] }
            guard let array = items.arrayValue else {
                throw ConfigError(keyPath: "graph.externalSubscriptions", problem: "expected an array of {\"id\", \"mailbox\"}")
            }
            let list = g.child("externalSubscriptions")
            var out: [ExternalSubscription] = []
            for index in array.indices {
                let item = list.element(index)
                try item.rejectUnknownKeys(["id", "mailbox"])
                let id = try item.string("id") ?? ""
                guard UUID(uuidString: id) != nil else { throw ConfigError(keyPath: item.keyPath + ".id", problem: "expected a Graph subscription id (a GUID)") }
                let mailbox = try item.string("mailbox") ?? ""
                guard MailboxName.isValid(mailbox) else {
                    throw ConfigError(keyPath: item.keyPath + ".mailbox", problem: "expected the mailbox's address or object id")
                }
                out.append(ExternalSubscription(id: id, mailbox: mailbox))
            }
            return out
        }
    }
}
