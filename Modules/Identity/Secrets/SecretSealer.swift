import Crypto
import Foundation
import SmartNationCore

/// Seals secrets the identity platform must keep at rest (TOTP secrets, CA private keys, OpenID
/// signing keys) with AES-256-GCM under a key the operator supplies (`identity.secret_key`).
///
/// Every sealed value is bound to a *context* (`"totp"`, `"pki.root"`, …) as authenticated data,
/// so a ciphertext copied into another column or row does not open. The sealed form is one version
/// byte followed by the nonce, ciphertext and tag; the key itself is never logged or stored.
public struct SecretSealer: Sendable {
    private static let formatVersion: UInt8 = 1
    private let key: SymmetricKey

    /// A sealer over a 256-bit key given as standard base64 (44 characters, as
    /// `openssl rand -base64 32` prints it).
    public init(base64Key: String) throws(SmartNationError) {
        guard let bytes = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)),
              bytes.count == 32 else {
            throw SmartNationError(.identitySecretKeyInvalid, parameters: ["expected": "32 bytes in base64, such as `openssl rand -base64 32` prints"])
        }
        key = SymmetricKey(data: bytes)
    }

    /// A sealer over a fresh random key, for tests and throwaway demo data.
    public static func random() -> SecretSealer {
        SecretSealer(key: SymmetricKey(size: .bits256))
    }

    private init(key: SymmetricKey) {
        self.key = key
    }

    /// A 256-bit key for `purpose` (such as `device-challenge`), derived from the sealing key with
    /// HKDF-SHA256: what the platform authenticates with must not be the key it seals with.
    func derivedKey(for purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("smartnation.identity.\(purpose)".utf8), outputByteCount: 32)
    }

    /// `plaintext` sealed for `context`.
    public func seal(_ plaintext: Data, context: String) -> Data {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8))
            guard let combined = box.combined else { preconditionFailure("AES-GCM with the default nonce always has a combined form") }
            return Data([Self.formatVersion]) + combined
        } catch {
            preconditionFailure("AES-GCM sealing with a 256-bit key cannot fail: \(error)")
        }
    }

    /// The plaintext of a value sealed for `context`; throws when it was sealed under another key or
    /// context, or has been altered.
    public func open(_ sealed: Data, context: String) throws(SmartNationError) -> Data {
        guard sealed.count > 1, sealed.first == Self.formatVersion else {
            throw SmartNationError(.identitySecretUnreadable, parameters: ["context": context], httpStatus: 500)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        } catch {
            throw SmartNationError(.identitySecretUnreadable, parameters: ["context": context], httpStatus: 500)
        }
    }
}

extension SmartNationError.Code {
    /// `identity.secret_key` is not 32 bytes in base64.
    public static let identitySecretKeyInvalid = Self("identity.secret_key.invalid")
    /// A sealed secret does not open under the configured key: wrong key, or altered data.
    public static let identitySecretUnreadable = Self("identity.secret.unreadable")
    /// No sealing key is configured (`identity.secret_key`), and none may be generated (no demo data).
    public static let identitySecretKeyMissing = Self("identity.secret.key_missing")
}
