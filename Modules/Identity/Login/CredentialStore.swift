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
}

/// Where credentials and the login audit trail are kept; the SQL is in ``SQLiteCredentialStore``.
public protocol CredentialStore: AuditTrail {
    /// The citizen's credentials (empty when none were ever set).
    func credentials(subject: String) async throws(SmartNationError) -> StoredCredentials
    /// Sets or replaces the password's stored form.
    func setPasswordHash(_ hash: String, subject: String) async throws(SmartNationError)
    /// Enrols a TOTP secret (base32), replacing any previous one.
    func setTOTPSecret(_ secret: String, subject: String) async throws(SmartNationError)
    /// Records `step` as used, only if it is later than the last used step; returns whether it was.
    /// This is the atomic guard against two logins racing with one code.
    func claimTOTPStep(_ step: Int64, subject: String) async throws(SmartNationError) -> Bool
    /// Replaces the citizen's recovery codes with these hashes.
    func replaceRecoveryCodeHashes(_ hashes: [String], subject: String) async throws(SmartNationError)
    /// Uses up a recovery code: deletes it and returns `true` if the citizen had it, in one step.
    func consumeRecoveryCode(hash: String, subject: String) async throws(SmartNationError) -> Bool
}
