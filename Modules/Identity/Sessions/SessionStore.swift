import Foundation
import SmartNationCore

/// Where sessions are kept, by the SHA-256 of their token; the SQL is in ``SQLiteSessionStore``.
public protocol SessionStore: Sendable {
    /// Stores a new session under its token's hash, only while its citizen's account is open —
    /// checked as it is stored; otherwise throws ``SmartNationError/Code/identityLoginAccountClosed``.
    func insert(_ session: Session, tokenHash: Data) async throws(SmartNationError)
    /// The session whose token hashes to `tokenHash`.
    func session(tokenHash: Data) async throws(SmartNationError) -> Session?
    /// Records a use of the session.
    func touch(id: String, at date: Date) async throws(SmartNationError)
    /// Revokes one of the citizen's sessions, or all of them when `id` is `nil`; returns how many.
    func revoke(subject: String, id: String?, at date: Date) async throws(SmartNationError) -> Int
    /// The citizen's sessions that are not revoked, newest first.
    func liveSessions(subject: String) async throws(SmartNationError) -> [Session]
    /// Deletes the sessions revoked before `revokedBefore`, last used before `lastSeenBefore` or
    /// opened before `createdBefore`; returns how many.
    func deleteEnded(revokedBefore: Date, lastSeenBefore: Date, createdBefore: Date) async throws(SmartNationError) -> Int
}
