import Crypto
import Foundation

/// A secret MailHook must keep at rest (a refresh token Entra rotated) sealed with AES-GCM under a
/// key derived (HKDF-SHA256) from a secret the operator configured: a copy of the database alone
/// does not give the token away, and a box sealed under another configured secret (the operator
/// replaced it) does not open.
public enum SecretSeal {
    static func key(_ keyMaterial: String, purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(keyMaterial.utf8)), salt: Data("mailhook-secret-seal-1".utf8),
            info: Data(purpose.utf8), outputByteCount: 32)
    }

    /// The sealed box, base64 (nonce, ciphertext and tag).
    public static func seal(_ secret: String, keyMaterial: String, purpose: String) throws -> String {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key(keyMaterial, purpose: purpose)).combined else {
            throw CryptoKitError.incorrectParameterSize
        }
        return combined.base64EncodedString()
    }

    /// The secret, or nil when the box is damaged or was sealed under other key material.
    public static func open(_ sealed: String, keyMaterial: String, purpose: String) -> String? {
        guard let data = Data(base64Encoded: sealed), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key(keyMaterial, purpose: purpose)) else { return nil }
        return String(data: plain, encoding: .utf8)
    }
}
