import Foundation
import GRDB
import SmartNationCore

/// Remembers single-use values (client assertion and DPoP proof `jti`s) until they expire, so each
/// is accepted once. Expired entries are pruned by ``OpenIDProvider/pruneExpired()``.
struct ReplayGuard: Sendable {
    let database: DatabasePool

    /// Claims `key` until `expiresAt`; `false` when it was already claimed.
    func claim(_ key: String, until expiresAt: Date) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "INSERT OR IGNORE INTO oidc_used_jti (key, expires_at) VALUES (?, ?)",
                    arguments: [key, expiresAt.timeIntervalSince1970])
                return db.changesCount == 1
            }
        } catch {
            throw .storage(error)
        }
    }
}
