import Foundation
import MailHookCore
import Testing

struct ConfigurationTests {
    func config(_ json: String, _ env: [String: String] = [:]) throws(ConfigError) -> MailHookConfiguration {
        let root: JSONValue
        do { root = try JSONValue.parse(Array(json.utf8)) } catch { Issue.record("bad test JSON"); root = .null }
        return try MailHookConfiguration(root: root, environment: env)
    }

    func problem(_ json: String, _ env: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try config(json, env)
            return nil
        } catch {
            return error
        }
    }

    @Test("the empty document gives the documented defaults")
    func defaults() throws {
        let c = MailHookConfiguration.defaults()
        #expect(c.server.host == "127.0.0.1" && c.server.port == 8080 && c.server.maxBodyBytes == 1_048_576)
        #expect(c.database.url == .sqlite(path: "data/mailhook.sqlite"))
        #expect(c.database.maxConnections == 16 && c.database.intakeConnections == 2 && c.database.preparedStatements)
        #expect(!c.graph.enabled)
        #expect(c.graph.authorityHost == "https://login.microsoftonline.com" && c.graph.baseUrl == "https://graph.microsoft.com/v1.0")
        #expect(c.graph.folder == "Inbox" && c.graph.subscriptionMinutes == 4230 && c.graph.renewBeforeMinutes == 60)
        #expect(c.graph.renewIntervalSeconds == 300 && c.graph.deltaIntervalMinutes == 360)
        #expect(c.pipeline.concurrency == 8 && c.pipeline.maxAttempts == 6 && c.pipeline.leaseSeconds == 120)
        #expect(c.classifier.provider == .local && c.classifier.timeoutSeconds == 30 && c.classifier.criticalFromPercent == 15)
        #expect(c.routing.thresholds.autoHandle == 85 && c.routing.thresholds.suggestResponse == 60 && c.routing.thresholds.humanReview == 40)
        #expect(c.routing.categoryAdjustments == [.purchasing: 0.95, .support: 0.85, .information: 0.80, .escalation: 0.90, .consultation: 0.75])
        #expect(c.routing.autoRespondCategories == [.information, .support])
        #expect(c.actions.mode == .dryRun && c.teams.mode == .off && c.admin.token == nil && !c.admin.protectMetrics)
    }

    @Test("${VAR} and ${VAR:-default} interpolation, numbers from strings")
    func interpolation() throws {
        let c = try config(#"{"server": {"host": "${HOST}", "port": "${PORT:-9090}", "publicBaseUrl": "https://${DOMAIN}/"}}"#,
                           ["HOST": "0.0.0.0", "DOMAIN": "hooks.example.com"])
        #expect(c.server.host == "0.0.0.0")
        #expect(c.server.port == 9090)
        #expect(c.server.publicBaseUrl == "https://hooks.example.com")
        #expect(try config(#"{"server": {"port": "${PORT:-9090}"}}"#, ["PORT": "7070"]).server.port == 7070)
    }

    @Test("Graph's credential: a client secret or a certificate with its key, exactly one of them")
    func graphCredential() throws {
        let base = #""tenantId": "t", "clientId": "app""#
        let certificate = try config(#"{"graph": {\#(base), "certificateFile": "/etc/mailhook/app.pem", "privateKeyFile": "/etc/mailhook/app.key"}}"#)
        #expect(certificate.graph.enabled && certificate.graph.clientSecret == nil)
        #expect(certificate.graph.certificateFile == "/etc/mailhook/app.pem" && certificate.graph.privateKeyFile == "/etc/mailhook/app.key")
        #expect(try config(#"{"graph": {\#(base), "clientSecret": "s"}}"#).graph.certificateFile == nil)
        #expect(problem(#"{"graph": {\#(base)}}"#)?.description
                == "graph.clientSecret: required when graph.tenantId is set (or graph.certificateFile and graph.privateKeyFile)")
        #expect(problem(#"{"graph": {\#(base), "clientSecret": "s", "certificateFile": "a.pem", "privateKeyFile": "a.key"}}"#)?.description
                == "graph.clientSecret: give either graph.clientSecret or graph.certificateFile, not both")
        #expect(problem(#"{"graph": {\#(base), "clientSecret": "", "certificateFile": "a.pem", "privateKeyFile": "a.key"}}"#)?.description
                == "graph.clientSecret: give either graph.clientSecret or graph.certificateFile, not both", "as the JSON Schema says")
        #expect(problem(#"{"graph": {\#(base), "certificateFile": "a.pem"}}"#)?.keyPath == "graph.privateKeyFile")
        #expect(problem(#"{"graph": {\#(base), "privateKeyFile": "a.key"}}"#)?.keyPath == "graph.certificateFile")
    }

    @Test("a missing ${VAR} used by an enabled part names the key and the variable")
    func missingVariables() {
        #expect(problem(#"{"server": {"host": "${NOPE}"}}"#)?.description == "server.host: environment variable NOPE is not set")
        // Graph off (tenantId only an unset variable): its other unset variables do not matter.
        #expect(problem(#"{"graph": {"tenantId": "${T}", "clientId": "${C}", "clientSecret": "${S}"}}"#) == nil)
        // Graph on: they do.
        #expect(problem(#"{"graph": {"tenantId": "${T}", "clientId": "app", "clientSecret": "${S}"}}"#, ["T": "tenant"])?.description
                == "graph.clientSecret: environment variable S is not set")
        #expect(problem(#"{"classifier": {"provider": "openai", "baseUrl": "https://llm.example", "model": "m", "apiKey": "${KEY}"}}"#)?.description
                == "classifier.apiKey: environment variable KEY is not set")
    }

    @Test("invalid values and unknown keys name the key path")
    func invalidValues() {
        let cases: [(String, String)] = [
            (#"{"server": {"port": "abc"}}"#, "server.port"),
            (#"{"server": {"port": 70000}}"#, "server.port"),
            (#"{"server": {"prot": 8080}}"#, "server.prot: unknown key"),
            (#"{"sever": {}}"#, "sever: unknown key"),
            (#"{"server": []}"#, "server: expected an object"),
            (#"{"database": {"url": "mysql://x"}}"#, "database.url"),
            (#"{"database": {"intakeConnections": 0}}"#, "database.intakeConnections"),
            (#"{"database": {"intakeConnections": 17}}"#, "database.intakeConnections"),
            (#"{"database": {"url": "postgres://host/db"}}"#, "database.url: the postgres URL names no user"),
            (#"{"graph": {"tenantId": "t"}}"#, "graph.clientId"),
            (#"{"graph": {"subscriptionMinutes": 20000}}"#, "graph.subscriptionMinutes"),
            (#"{"graph": {"subscriptionMinutes": 60, "renewBeforeMinutes": 60}}"#, "graph.renewBeforeMinutes"),
            (#"{"pipeline": {"concurrency": 0}}"#, "pipeline.concurrency"),
            (#"{"classifier": {"provider": "gpt"}}"#, "classifier.provider"),
            (#"{"classifier": {"provider": "openai"}}"#, "classifier.baseUrl"),
            (#"{"classifier": {"structuredOutput": "xml"}}"#, "classifier.structuredOutput"),
            (#"{"classifier": {"criticalFromPercent": 0}}"#, "classifier.criticalFromPercent"),
            (#"{"classifier": {"criticalFromPercent": 101}}"#, "classifier.criticalFromPercent"),
            (#"{"classifier": {"criticalFromPercent": 12.5}}"#, "classifier.criticalFromPercent"),
            (#"{"routing": {"thresholds": {"humanReview": 70}}}"#, "routing.thresholds.humanReview"),
            (#"{"routing": {"categoryAdjustments": {"SALES": 0.5}}}"#, "routing.categoryAdjustments.SALES"),
            (#"{"routing": {"autoRespondCategories": ["SALES"]}}"#, "routing.autoRespondCategories[0]"),
            (#"{"actions": {"mode": "sometimes"}}"#, "actions.mode"),
            (#"{"teams": {"mode": "graph-chat", "fallbackMember": "x@y"}}"#, "teams.delegatedRefreshToken"),
            (#"{"teams": {"mode": "workflow-webhook"}}"#, "teams.workflowUrl"),
            (#"{"admin": {"token": "short"}}"#, "admin.token"),
            (#"{"admin": {"protectMetrics": true}}"#, "admin.protectMetrics"),
            (#"{"admin": {"token": "admin-token-0123456789", "protectMetrics": "sometimes"}}"#, "admin.protectMetrics"),
            (#"{"server": {"tls": {"certificateFile": "c.pem"}}}"#, "server.tls.privateKeyFile"),
            ("[]", "JSON object"),
        ]
        for (json, path) in cases {
            let error = problem(json)
            #expect(error?.description.hasPrefix(path) == true || (error?.description.contains(path) ?? false), "\(json) → \(error?.description ?? "accepted")")
        }
    }

    @Test("postgres URLs: credentials decoded, password redacted")
    func postgresURL() throws {
        let c = try config(#"{"database": {"url": "postgres://app:p%40ss@db.internal:6543/mail?sslmode=require"}}"#)
        guard case .postgres(let pg) = c.database.url else { Issue.record("not postgres"); return }
        #expect(pg.host == "db.internal" && pg.port == 6543 && pg.username == "app" && pg.database == "mail" && pg.tlsMode == .require)
        #expect(pg.password?.value == "p@ss")
        #expect(c.database.url.redacted == "postgres://app:***@db.internal:6543/mail?sslmode=require")
    }

    @Test("the resolved configuration prints secrets as ***")
    func redaction() throws {
        let c = try config("""
            {"graph": {"tenantId": "tenant-1", "clientId": "app-1", "clientSecret": "${SECRET}", "clientState": "static-client-state"},
             "database": {"url": "postgres://app:dbpass123@db:5432/mail"},
             "classifier": {"provider": "openai", "baseUrl": "https://llm.example/v1", "model": "gpt", "apiKey": "sk-live-abc"},
             "teams": {"mode": "workflow-webhook", "workflowUrl": "https://prod.example/workflows/run?sig=sig-value-1"},
             "admin": {"token": "admin-token-0123456789"}}
            """, ["SECRET": "client-secret-value"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(c), as: UTF8.self)
        for secret in ["client-secret-value", "static-client-state", "dbpass123", "sk-live-abc", "sig-value-1", "admin-token-0123456789"] {
            #expect(!text.contains(secret), "\(secret) leaked")
        }
        #expect(text.contains(#""clientSecret":"***""#))
        #expect(text.contains("tenant-1"))
    }

    @Test("integrations: endpoints, secrets resolved only when enabled, clear errors")
    func integrations() throws {
        let json = """
            {"crm_systems": [{"name": "x"}], "databases": [],
             "webhook_endpoints": [
               {"name": "a", "url": "/webhooks/a/", "authentication": {"type": "bearer_token", "token": "${TOKEN}"}},
               {"name": "b", "enabled": false, "url": "/webhooks/b", "authentication": {"type": "hmac_sha256", "secret": "${UNSET}"}},
               {"name": "c", "url": "/webhooks/c", "authentication": {"type": "standard_webhooks", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                "filters": {"sender_domains": ["x.com"]}}
             ]}
            """
        let parsed = try IntegrationsConfiguration(root: try JSONValue.parse(Array(json.utf8)), environment: ["TOKEN": "tok"])
        #expect(parsed.webhookEndpoints.map(\.name) == ["a", "b", "c"])
        #expect(parsed.enabledEndpoints.map(\.url) == ["/webhooks/a", "/webhooks/c"])
        #expect(parsed.crmSystemCount == 1)
        guard case .bearerToken(let token) = parsed.webhookEndpoints[0].authentication else { Issue.record("type"); return }
        #expect(token.value == "tok")

        func problem(_ endpoints: String, _ env: [String: String] = [:]) -> String? {
            do {
                _ = try IntegrationsConfiguration(root: try JSONValue.parse(Array(#"{"webhook_endpoints": [\#(endpoints)]}"#.utf8)), environment: env)
                return nil
            } catch let error as ConfigError {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "hmac_sha256", "secret": "${MISSING}"}}"#)
                == "webhook_endpoints[0].authentication.secret: environment variable MISSING is not set")
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "basic"}}"#)?.hasPrefix("webhook_endpoints[0].authentication.type") == true)
        #expect(problem(#"{"name": "a", "url": "x", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.hasPrefix("webhook_endpoints[0].url") == true)
        #expect(problem(#"{"name": "a", "url": "/webhooks/graph", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.contains("reserved") == true)
        #expect(problem(#"{"name": "a", "url": "/metrics", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.contains("reserved") == true)
        // The contract and the dashboard are MailHook's too.
        for url in ["/openapi.yaml", "/dashboard", "/dashboard/", "/dashboard/dashboard.js", "/dashboard/events"] {
            #expect(problem(#"{"name": "a", "url": "\#(url)", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.contains("reserved") == true, "\(url)")
        }
        #expect(problem(#"{"name": "a", "url": "/dashboards-feed", "authentication": {"type": "bearer_token", "token": "t"}}"#) == nil)
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "standard_webhooks", "secret": "whsec_!!!"}}"#)?.contains("base64") == true)
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "bearer_token", "token": "t"}}, {"name": "a", "url": "/y", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.contains("used twice") == true)
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "bearer_token", "token": "t"}}, {"name": "b", "url": "/x", "authentication": {"type": "bearer_token", "token": "t"}}"#)?.contains("another enabled endpoint") == true)
        #expect(problem(#"{"name": "a", "url": "/x", "authentication": {"type": "bearer_token", "token": "t"}, "filters": {"senders": []}}"#)?.contains("filters.senders: unknown key") == true)
    }
}
