import Foundation

extension MailHookConfiguration {
    /// `server.*`: the listener, request limits and logging.
    public struct Server: Sendable, Encodable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var publicBaseUrl: String?
        public var tls: TLS?
        /// Longest time a request may take to arrive in full before it is answered 408.
        public var requestTimeoutSeconds: Int
        /// Idle keep-alive connections are closed after this long.
        public var idleTimeoutSeconds: Int
        public var logLevel: LogLevel
        /// A Graph notification batch with more items is refused (Graph sends at most a few hundred).
        public var maxBatchItems: Int
        /// Open connections at most; more are closed as they arrive.
        public var maxConnections: Int
        /// A request head (request line and headers) must arrive within this time.
        public var headerTimeoutSeconds: Int
        /// Request head size and header count limits (400 beyond them, and the connection is closed).
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int

        static let keys: Set<String> = [
            "host", "port", "maxBodyBytes", "publicBaseUrl", "tls", "requestTimeoutSeconds", "idleTimeoutSeconds", "logLevel", "maxBatchItems",
            "maxConnections", "headerTimeoutSeconds", "maxHeaderBytes", "maxHeaderCount",
        ]

        init(reader s: ConfigReader) throws(ConfigError) {
            try s.rejectUnknownKeys(Self.keys)
            host = try s.string("host", default: "127.0.0.1")
            guard !host.isEmpty else { throw ConfigError(keyPath: "server.host", problem: "must not be empty") }
            tls = try TLS(reader: try s.scoped("tls"))
            let base = try s.optionalString("publicBaseUrl")
            if let base {
                guard let u = URLComponents(string: base), u.scheme == "https" || u.scheme == "http", u.host?.isEmpty == false else {
                    throw ConfigError(keyPath: "server.publicBaseUrl", problem: "expected an absolute https:// URL, got \"\(base)\"")
                }
            }
            publicBaseUrl = base.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            port = try s.int("port", default: 8080, range: 0...65535)
            maxBodyBytes = try s.int("maxBodyBytes", default: 1_048_576, range: 1024...(256 << 20))
            requestTimeoutSeconds = try s.int("requestTimeoutSeconds", default: 30, range: 1...600)
            idleTimeoutSeconds = try s.int("idleTimeoutSeconds", default: 60, range: 1...3600)
            logLevel = try s.choice("logLevel", default: LogLevel.info)
            maxBatchItems = try s.int("maxBatchItems", default: 1000, range: 1...100_000)
            maxConnections = try s.int("maxConnections", default: 1024, range: 16...1_000_000)
            headerTimeoutSeconds = try s.int("headerTimeoutSeconds", default: 10, range: 1...300)
            maxHeaderBytes = try s.int("maxHeaderBytes", default: 16384, range: 1024...(1 << 20))
            maxHeaderCount = try s.int("maxHeaderCount", default: 100, range: 8...1000)
        }
    }

    /// `server.tls.*`: native HTTPS.
    public struct TLS: Sendable, Encodable {
        public var certificateFile: String
        public var privateKeyFile: String

        public init(certificateFile: String, privateKeyFile: String) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }

        /// nil when neither file is configured.
        init?(reader t: ConfigReader) throws(ConfigError) {
            let cert = try t.optionalString("certificateFile")
            let key = try t.optionalString("privateKeyFile")
            switch (cert, key) {
            case (nil, nil): return nil
            case (.some(let cert), .some(let key)): self.init(certificateFile: cert, privateKeyFile: key)
            case (.some, nil): throw ConfigError(keyPath: "server.tls.privateKeyFile", problem: "required when server.tls.certificateFile is set")
            case (nil, .some): throw ConfigError(keyPath: "server.tls.certificateFile", problem: "required when server.tls.privateKeyFile is set")
            }
        }
    }
}
