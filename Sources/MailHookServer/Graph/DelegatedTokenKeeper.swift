import Logging
import MailHookCore
import MailHookGraph
import MailHookStore

/// Keeps the refresh token Entra rotates for `teams.delegatedRefreshToken` in the database, sealed
/// under a key derived from the configured token (``SecretSeal``): after a restart the newest one
/// is used, so the configured one may lapse (90 days unused) without breaking Teams chats. A kept
/// token sealed under another configured token does not open, so replacing the configured token
/// starts from the new one.
enum DelegatedTokenKeeper {
    static let name = "teams.delegatedRefreshToken"

    static func make(store: any CredentialStore, configured: Secret, logger: Logger) -> TokenProvider.RefreshTokenKeeper {
        let key = configured.value
        return .init(
            load: {
                let sealed: String?
                do {
                    sealed = try await store.sealedCredential(name: name)
                } catch {
                    logger.warning("the kept refresh token could not be read; using the configured one this time", metadata: ["mailhook.error": "\(error)"])
                    throw error
                }
                guard let sealed else { return nil }
                guard let token = SecretSeal.open(sealed, keyMaterial: key, purpose: name) else {
                    logger.notice("the kept refresh token was sealed under another configured token; starting from the configured one")
                    return nil
                }
                return token
            },
            save: { token in
                do {
                    let sealed = try SecretSeal.seal(token, keyMaterial: key, purpose: name)
                    // Bounded: the token waits for this write, and the pipeline waits for the token.
                    try await withTimeLimit(.seconds(5)) { try await store.saveSealedCredential(name: name, sealed: sealed) }
                } catch {
                    // The rotated token still works in memory; only a restart would miss it.
                    logger.warning("the rotated refresh token could not be kept", metadata: ["mailhook.error": "\(error)"])
                }
            })
    }
}
