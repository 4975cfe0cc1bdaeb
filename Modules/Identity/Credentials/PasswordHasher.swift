import Crypto
import CryptoExtras
import Foundation
import SmartNationCore

/// Hashes passwords for storage with PBKDF2-HMAC-SHA256 and checks passwords against stored hashes.
///
/// Each password gets a fresh random 16-byte salt from the system random number generator; the
/// 32-byte derived key, the salt and the cost are stored together as
/// `pbkdf2-sha256$<rounds>$<salt base64>$<hash base64>`. The default cost is OWASP's 600,000 rounds.
///
/// Passwords are normalised to Unicode NFC before hashing, so the same password typed on keyboards
/// that compose accents differently verifies. Comparison of derived keys is constant-time.
///
/// ```swift
/// let hasher = PasswordHasher()
/// let stored = try hasher.hash("correct horse battery staple")
/// switch hasher.verify(attempt, against: stored) {
/// case .matches(let needsRehash): …
/// case .doesNotMatch, .unreadable: …
/// }
/// ```
public struct PasswordHasher: Sendable {
    /// OWASP's PBKDF2-HMAC-SHA256 cost: 600,000 rounds.
    public static let roundsDefault = 600_000
    /// The lowest cost a production hasher accepts, and the lowest swift-crypto derives without the
    /// unchecked variant.
    public static let roundsMin = 210_000
    /// The highest cost a hasher accepts or a stored form may name, so a stored form cannot make one
    /// verification run for minutes.
    public static let roundsMax = 10_000_000
    /// The length of each new salt, in bytes.
    public static let saltByteCount = 16
    /// The length of the derived key, in bytes.
    public static let hashByteCount = 32
    /// The longest password hashed or verified, in UTF-8 bytes. Longer input is refused before any
    /// work is done; ``PasswordPolicy`` keeps real passwords far below it.
    public static let passwordByteCountMax = 1_024

    /// The cost new hashes are made with. A stored hash with a different cost verifies and reports
    /// that it needs rehashing.
    public let rounds: Int

    /// Creates a hasher with a cost between ``roundsMin`` and ``roundsMax``.
    public init(rounds: Int = PasswordHasher.roundsDefault) {
        precondition(
            (Self.roundsMin...Self.roundsMax).contains(rounds),
            "PBKDF2 rounds are between \(Self.roundsMin) and \(Self.roundsMax)"
        )
        self.rounds = rounds
    }

    /// Creates a hasher with a cost below the production minimum, for tests that cannot wait for
    /// 600,000 rounds per hash.
    init(unsafeTestingRounds rounds: Int) {
        precondition((1...Self.roundsMax).contains(rounds), "PBKDF2 rounds are between 1 and \(Self.roundsMax)")
        self.rounds = rounds
    }

    /// Hashes a password with a fresh salt and returns its stored form.
    ///
    /// - Throws: ``SmartNationError`` `identity.password.rejected` when the password is longer than
    ///   ``passwordByteCountMax`` bytes.
    public func hash(_ password: String) throws -> String {
        guard let passwordBytes = Self.normalisedBytes(password) else {
            throw SmartNationError(.identityPasswordRejected, parameters: ["reasons": "too_long"])
        }
        let salt = SecureRandom.bytes(Self.saltByteCount)
        let derived = try Self.deriveKey(passwordBytes, salt: salt, rounds: rounds)
        let stored = StoredPasswordHash(rounds: rounds, salt: salt, hash: derived)
        assert(StoredPasswordHash(parsing: stored.encoded) == stored, "the stored form reads back")
        return stored.encoded
    }

    /// Checks a password against a stored form made by ``hash(_:)``, with any cost.
    ///
    /// Returns ``PasswordVerification/unreadable`` for a malformed stored form and
    /// ``PasswordVerification/doesNotMatch`` for a wrong or overlong password. A wrong password
    /// against a form made at a lower cost than this hasher's costs what one at this cost does
    /// (``paddingRounds(afterFailureAt:)``): a login for an identifier with no account is checked
    /// against a decoy at this cost, and a citizen whose hash predates a raised cost must not answer
    /// sooner.
    public func verify(_ password: String, against stored: String) -> PasswordVerification {
        guard let parsed = StoredPasswordHash(parsing: stored) else { return .unreadable }
        guard let passwordBytes = Self.normalisedBytes(password) else { return .doesNotMatch }
        guard let derived = try? Self.deriveKey(passwordBytes, salt: parsed.salt, rounds: parsed.rounds) else {
            return .unreadable
        }
        guard constantTimeEquals(derived, parsed.hash) else {
            let padding = paddingRounds(afterFailureAt: parsed.rounds)
            if padding > 0 { _ = try? Self.deriveKey(passwordBytes, salt: parsed.salt, rounds: padding) }
            return .doesNotMatch
        }
        return .matches(needsRehash: parsed.rounds != rounds)
    }

    /// The rounds a failed verification of a form made at `storedRounds` runs beyond its own, so that
    /// it costs what one at this hasher's cost does: the difference when the form's cost is lower,
    /// otherwise none. (A form at a higher cost, from before the cost was lowered, still answers later
    /// than the decoy until its citizen logs in and it is rehashed.)
    func paddingRounds(afterFailureAt storedRounds: Int) -> Int {
        max(0, rounds - storedRounds)
    }

    /// Derives the PBKDF2-HMAC-SHA256 key. Costs from ``roundsMin`` up go through swift-crypto's
    /// checked entry point; lower costs, which only old stored forms and tests use, through the
    /// unchecked one.
    static func deriveKey(_ password: [UInt8], salt: [UInt8], rounds: Int) throws -> [UInt8] {
        precondition((1...roundsMax).contains(rounds), "PBKDF2 rounds are within bounds")
        let key: SymmetricKey
        if rounds >= roundsMin {
            key = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: hashByteCount, rounds: rounds)
        } else {
            key = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: .sha256, outputByteCount: hashByteCount,
                unsafeUncheckedRounds: rounds)
        }
        let bytes = key.withUnsafeBytes { Array($0) }
        assert(bytes.count == hashByteCount, "PBKDF2 returns the requested length")
        return bytes
    }

    /// The password's NFC UTF-8 bytes, or nil when it is longer than ``passwordByteCountMax`` before
    /// or after normalisation. The raw length is checked first so overlong input costs no work.
    private static func normalisedBytes(_ password: String) -> [UInt8]? {
        guard password.utf8.count <= passwordByteCountMax else { return nil }
        let bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        guard bytes.count <= passwordByteCountMax else { return nil }
        return bytes
    }
}
