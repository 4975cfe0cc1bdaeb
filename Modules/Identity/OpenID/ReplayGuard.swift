import Foundation
import GRDB
import SmartNationCore

/// A single-use value — a client assertion's or a DPoP proof's `jti` — to remember until it expires.
struct SingleUseKey: Sendable {
    /// The value, prefixed with what it is and whose (`assertion:<client>:<jti>`, `dpop:<jkt>:<jti>`).
    let key: String
    /// When the value stops being acceptable anyway, so it need not be remembered longer.
    let expiresAt: Date
    /// The refusal of a request that presents the value again.
    let refusal: SmartNationError
}

/// Remembers single-use values until they expire, so each is accepted once. Expired entries are
/// pruned by ``OpenIDProvider/pruneExpired()``.
///
/// A value is claimed either on its own (``claim(_:)``) or inside the transaction that acts on the
/// request (``claim(_:in:)``), so a token request commits its `jti`s, its code and its tokens at once.
struct ReplayGuard: Sendable {
    let database: DatabasePool

    /// Claims `key` in a transaction of its own; throws its refusal when it was already claimed.
    func claim(_ key: SingleUseKey) async throws(SmartNationError) {
        let claimedBefore: Bool
        do {
            claimedBefore = try await database.write { db in try Self.claim([key], in: db) != nil }
        } catch {
            throw .storage(error)
        }
        if claimedBefore { throw key.refusal }
    }

    /// Claims every key inside the caller's transaction and returns the first that was already
    /// claimed, if any, for the caller to refuse the request with; the others stay claimed.
    static func claim(_ keys: [SingleUseKey], in db: Database) throws -> SingleUseKey? {
        var alreadyClaimed: SingleUseKey?
        for key in keys {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO oidc_used_jti (key, expires_at) VALUES (?, ?)")
                .execute(arguments: [key.key, key.expiresAt.timeIntervalSince1970])
            if db.changesCount == 0, alreadyClaimed == nil { alreadyClaimed = key }
        }
        return alreadyClaimed
    }
}
