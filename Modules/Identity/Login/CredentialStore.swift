import Foundation
import SmartNationCore

/// A citizen's stored credentials.
public struct StoredCredentials: Sendable, Hashable {
    /// The password's stored form (``PasswordHasher``), if one is set.
    public var passwordHash: String?
    /// The TOTP secret, base32, if a second factor is enrolled.
    public var totpSecret: String?
    /// The last TOTP step accepted, so a code is never accepted twice.
    public var totpLastStep: Int64?
    /// A TOTP secret (base32) enrolled but not yet confirmed with a code from it, and until when it
    /// may be: it takes no part in logins.
    public var pendingTOTP: (secret: String, expiresAt: Date)?

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.passwordHash == rhs.passwordHash && lhs.totpSecret == rhs.totpSecret && lhs.totpLastStep == rhs.totpLastStep
            && lhs.pendingTOTP?.secret == rhs.pendingTOTP?.secret && lhs.pendingTOTP?.expiresAt == rhs.pendingTOTP?.expiresAt
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(passwordHash)
        hasher.combine(totpSecret)
        hasher.combine(totpLastStep)
        hasher.combine(pendingTOTP?.secret)
        hasher.combine(pendingTOTP?.expiresAt)
    }
}

/// Where credentials and the login audit trail are kept; the SQL is in ``SQLiteCredentialStore``.
public protocol CredentialStore: AuditTrail {
    /// The citizen's credentials (empty when none were ever set).
    func credentials(subject: String) async throws(SmartNationError) -> StoredCredentials
    /// Sets or replaces the password's stored form.
    func setPasswordHash(_ hash: String, subject: String) async throws(SmartNationError)
    /// Replaces the password's stored form with `hash` only while it is still `current`; returns
    /// whether it did. A rehash on login uses it, so it cannot undo a password changed meanwhile.
    func replacePasswordHash(_ current: String, with hash: String, subject: String) async throws(SmartNationError) -> Bool
    /// Keeps a TOTP secret (base32) pending until `expiresAt`, replacing any pending one; the
    /// enrolled secret, if any, stays in force.
    func setPendingTOTPSecret(_ secret: String, expiresAt: Date, subject: String) async throws(SmartNationError)
    /// Puts the pending secret in force, replacing the enrolled one, with `step` — the confirming
    /// code's — as its last used step, if it is still the pending secret `secret` and unexpired at
    /// `now`; returns whether it did. One step, so two confirmations cannot both succeed.
    func activatePendingTOTPSecret(_ secret: String, step: Int64, now: Date, subject: String) async throws(SmartNationError) -> Bool
    /// Records `step` as used, only if it is later than the last used step; returns whether it was.
    /// This is the atomic guard against two logins racing with one code.
    func claimTOTPStep(_ step: Int64, subject: String) async throws(SmartNationError) -> Bool
    /// Replaces the citizen's recovery codes with these hashes.
    func replaceRecoveryCodeHashes(_ hashes: [String], subject: String) async throws(SmartNationError)
    /// Whether the citizen holds this recovery code, without using it up.
    func hasRecoveryCode(hash: String, subject: String) async throws(SmartNationError) -> Bool
    /// Uses up a recovery code: deletes it and returns `true` if the citizen had it, in one step.
    func consumeRecoveryCode(hash: String, subject: String) async throws(SmartNationError) -> Bool
}
