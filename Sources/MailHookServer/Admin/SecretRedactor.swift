import Foundation
import MailHookCore

/// Replaces every configured secret in an answer with `***`. Stored requests are written without
/// secrets already; this is the second line, for the admin API, which shows stored text to people.
struct SecretRedactor: Sendable {
    /// Each secret as written raw and as it appears inside a JSON string.
    let forms: [String]

    /// Secrets shorter than this are not searched for: they would match ordinary text, and the
    /// configuration refuses such short ones where it can.
    static let minimumLength = 8

    init(configuration: MailHookConfiguration, integrations: IntegrationsConfiguration) {
        var secrets: [String] = [
            configuration.graph.clientSecret, configuration.graph.clientState, configuration.classifier.apiKey,
            configuration.teams.delegatedRefreshToken, configuration.teams.workflowUrl, configuration.admin.token,
        ].compactMap { $0?.value }
        if case .postgres(let postgres) = configuration.database.url, let password = postgres.password { secrets.append(password.value) }
        for endpoint in integrations.webhookEndpoints {
            switch endpoint.authentication {
            case .bearerToken(let token): secrets.append(token.value)
            case .hmacSHA256(let secret, _): secrets.append(secret.value)
            case .standardWebhooks: break  // binary key; never stored as text
            }
        }
        var forms: Set<String> = []
        for secret in secrets where secret.count >= Self.minimumLength {
            forms.insert(secret)
            forms.insert(String(JSONWriter.text(secret).dropFirst().dropLast()))
        }
        // Longest first, so a secret containing another is replaced whole.
        self.forms = forms.sorted { $0.count > $1.count }
    }

    func redact(_ text: String) -> String {
        forms.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}
