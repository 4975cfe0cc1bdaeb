import Foundation
import GRDB
import SmartNationCore
import Synchronization

/// A single-use value — a client assertion's or a DPoP proof's `jti` — to remember until it expires.
struct SingleUseKey: Sendable {
    /// The value, prefixed with what it is and whose (`assertion:<client>:<jti>`, `dpop:<jkt>:<jti>`).
    let key: String
    /// When the value stops being acceptable anyway, so it need not be remembered longer.
    let expiresAt: Date
    /// The refusal of a request that presents the value again.
    let refusal: SmartNationError
}

/// Remembers single-use values until they expire, so each is accepted once, across restarts too.
///
/// Clients choose their `jti`s, so an index by value puts each claim on a random page. On disk that
/// page is written to the WAL and back to the database at every checkpoint; it was most of a token
/// request's commit. The guard therefore keeps two tables:
/// - `oidc_spent_jti`, the durable log, keyed by expiry and then value: claims land on its last
///   pages, and pruning cuts its first ones;
/// - `temp.oidc_live_jti`, an index by value in the writer connection's memory, which answers
///   "claimed before?". ``open(database:clock:)`` creates it and loads it from the log, so a restarted
///   daemon still refuses a replay.
///
/// Values are claimed inside a write transaction — the one that acts on the request
/// (``claim(_:in:)``), so a token request commits its `jti`s, its code and its tokens at once — or in
/// one of their own (``claim(_:)``). A rolled-back transaction rolls back both tables. The in-memory
/// index drops what expired at most every ``livePruneInterval``, so it holds what the last two minutes
/// or so admitted (an assertion lives at most ``OpenIDSettings/clientAssertionLifetimeMax``, a proof
/// ``OpenIDSettings/dpopProofWindow`` past its `iat`); ``OpenIDProvider/pruneExpired()`` prunes the log.
final class ReplayGuard: Sendable {
    /// How often claims drop expired values from the in-memory index.
    static let livePruneInterval: TimeInterval = 10

    private let database: DatabasePool
    private let clock: @Sendable () -> Date
    /// When the in-memory index was last pruned (seconds since 1970).
    private let livePrunedAt: Mutex<TimeInterval>

    private init(database: DatabasePool, clock: @escaping @Sendable () -> Date, prunedAt: TimeInterval) {
        self.database = database
        self.clock = clock
        livePrunedAt = Mutex(prunedAt)
    }

    /// Opens the guard over the identity database: creates the writer's in-memory index (when this
    /// pool has none yet) and loads the unexpired values of the durable log into it.
    static func open(database: DatabasePool, clock: @escaping @Sendable () -> Date) async throws(SmartNationError) -> ReplayGuard {
        let now = clock().timeIntervalSince1970
        do {
            try await database.writeWithoutTransaction { db in
                // Changing `temp_store` drops the connection's temporary tables: only before there are any.
                let indexExists = try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_temp_master WHERE name = 'oidc_live_jti'") ?? false
                if !indexExists {
                    try db.execute(sql: "PRAGMA temp_store = MEMORY")
                }
                try db.inTransaction {
                    try db.execute(sql: """
                        CREATE TEMP TABLE IF NOT EXISTS oidc_live_jti (key TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID;
                        CREATE INDEX IF NOT EXISTS temp.oidc_live_jti_expiry ON oidc_live_jti (expires_at);
                        INSERT OR IGNORE INTO temp.oidc_live_jti (key, expires_at)
                            SELECT key, expires_at FROM oidc_spent_jti WHERE expires_at >= ?;
                        """, arguments: [now])
                    return .commit
                }
            }
        } catch {
            throw .storage(error)
        }
        return ReplayGuard(database: database, clock: clock, prunedAt: now)
    }

    /// Claims `key` in a transaction of its own; throws its refusal when it was already claimed.
    func claim(_ key: SingleUseKey) async throws(SmartNationError) {
        let claimedBefore: Bool
        do {
            claimedBefore = try await database.write { db in try self.claim([key], in: db) != nil }
        } catch {
            throw .storage(error)
        }
        if claimedBefore { throw key.refusal }
    }

    /// Claims every key inside the caller's write transaction and returns the first that was
    /// already claimed, if any, for the caller to refuse the request with; the others stay claimed.
    func claim(_ keys: [SingleUseKey], in db: Database) throws -> SingleUseKey? {
        try pruneLiveIndexIfDue(in: db)
        var alreadyClaimed: SingleUseKey?
        for key in keys {
            let expiresAt = key.expiresAt.timeIntervalSince1970
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp.oidc_live_jti (key, expires_at) VALUES (?, ?)")
                .execute(arguments: [key.key, expiresAt])
            guard db.changesCount == 1 else {
                if alreadyClaimed == nil { alreadyClaimed = key }
                continue
            }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO oidc_spent_jti (expires_at, key) VALUES (?, ?)")
                .execute(arguments: [expiresAt, key.key])
        }
        return alreadyClaimed
    }

    /// Deletes the durable log's values that expired before `cutoff`, inside the caller's
    /// transaction; returns how many.
    static func pruneLog(before cutoff: TimeInterval, in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM oidc_spent_jti WHERE expires_at < ?", arguments: [cutoff])
        return db.changesCount
    }

    /// Drops expired values from the in-memory index when the last prune is
    /// ``livePruneInterval`` old. A value is refused anyway once expired: its assertion or proof is.
    private func pruneLiveIndexIfDue(in db: Database) throws {
        let now = clock().timeIntervalSince1970
        let due = livePrunedAt.withLock { prunedAt in
            guard now - prunedAt >= Self.livePruneInterval else { return false }
            prunedAt = now
            return true
        }
        if due {
            try db.execute(sql: "DELETE FROM temp.oidc_live_jti WHERE expires_at < ?", arguments: [now])
        }
    }
}
