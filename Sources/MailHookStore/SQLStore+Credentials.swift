import Foundation
import MailHookCore

extension SQLStore: CredentialStore {
    public func sealedCredential(name: String) async throws -> String? {
        try await database.read("SELECT sealed FROM sealed_credentials WHERE name = \(name)").first?.string("sealed")
    }

    public func saveSealedCredential(name: String, sealed: String) async throws {
        let now = now()
        _ = try await database.write("""
            INSERT INTO sealed_credentials (name, sealed, updated_at) VALUES (\(name), \(sealed), \(now))
            ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at
            """, urgent: false)
    }
}
