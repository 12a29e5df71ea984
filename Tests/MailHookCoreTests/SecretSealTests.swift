import Foundation
import MailHookCore
import Testing

@Suite("Secret seal")
struct SecretSealTests {
    @Test("a sealed secret opens only under the same key material and purpose, and never shows in the box")
    func roundTrip() throws {
        let secret = "0.AXwA-refresh-token-value"
        let sealed = try SecretSeal.seal(secret, keyMaterial: "configured-token", purpose: "teams")
        #expect(!sealed.contains(secret) && !sealed.contains("configured-token"))
        #expect(SecretSeal.open(sealed, keyMaterial: "configured-token", purpose: "teams") == secret)
        #expect(SecretSeal.open(sealed, keyMaterial: "another-token", purpose: "teams") == nil)
        #expect(SecretSeal.open(sealed, keyMaterial: "configured-token", purpose: "other") == nil)
        #expect(try SecretSeal.seal(secret, keyMaterial: "configured-token", purpose: "teams") != sealed, "a fresh nonce each time")
        var damaged = Array(sealed)
        damaged[damaged.count / 2] = damaged[damaged.count / 2] == "A" ? "B" : "A"
        #expect(SecretSeal.open(String(damaged), keyMaterial: "configured-token", purpose: "teams") == nil)
        for garbage in ["", "not base64!", "AAAA"] { #expect(SecretSeal.open(garbage, keyMaterial: "configured-token", purpose: "teams") == nil) }
    }
}
