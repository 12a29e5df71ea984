import Foundation

/// Secrets MailHook obtains while it runs and keeps across restarts, already sealed by the caller
/// (``MailHookCore/SecretSeal``): the store never sees them in the clear.
public protocol CredentialStore: Sendable {
    /// The sealed secret stored under `name`, if any.
    func sealedCredential(name: String) async throws -> String?

    /// Stores (or replaces) the sealed secret under `name`.
    func saveSealedCredential(name: String, sealed: String) async throws
}
