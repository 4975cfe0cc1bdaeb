import Foundation
import GRDB
import SmartNationCore

/// A single-use value — a client assertion's or a DPoP proof's `jti` — to remember until it expires.
/// (Answered device challenges share the durable log, under `device-challenge:<random part>`,
/// through ``ReplayGuard/log(_:expiresAt:in:)``.)
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
/// Clients choose their `jti`s, so an on-disk index by value puts each claim on a random page, which
/// is written to the WAL and back to the database at every checkpoint: it was most of a token
/// request's commit. The guard therefore keeps
/// - a durable log, `oidc_spent_jti`, keyed by expiry and then value: claims land on its last pages,
///   and pruning cuts its first ones;
/// - an index in memory (``ClaimedValueIndex``) that answers "claimed before?", loaded from the log
///   when the guard opens, so a restarted daemon still refuses a replay.
///
/// Values are claimed inside a write transaction — the one that acts on the request
/// (``claim(_:in:)``), so a token request commits its `jti`s, its code and its tokens at once — or in
/// one of their own (``claim(_:)``). A transaction that rolls back takes its values back out of the
/// index. ``OpenIDProvider/pruneExpired()`` prunes the log; the index drops what expired as it goes.
/// The daemon is the only writer of `identity.sqlite`, so the index it loaded stays complete; should
/// another guard share the file, a value it claimed with the same expiry is still refused, by the log.
final class ReplayGuard: Sendable {
    private let database: DatabasePool
    private let clock: @Sendable () -> Date
    private let index: ClaimedValueIndex

    private init(database: DatabasePool, clock: @escaping @Sendable () -> Date, index: ClaimedValueIndex) {
        self.database = database
        self.clock = clock
        self.index = index
    }

    /// Opens the guard over the identity database, loading the unexpired values of the durable log.
    static func open(database: DatabasePool, clock: @escaping @Sendable () -> Date) async throws(SmartNationError) -> ReplayGuard {
        let now = clock().timeIntervalSince1970
        let index = ClaimedValueIndex(now: now)
        do {
            try await database.read { db in
                let rows = try Row.fetchCursor(db, sql: "SELECT key, expires_at FROM oidc_spent_jti WHERE expires_at >= ?", arguments: [now])
                while let row = try rows.next() {
                    _ = index.insert(ClaimedValueIndex.Digest(of: row["key"]), expiresAt: row["expires_at"], now: now)
                }
            }
        } catch {
            throw .storage(error)
        }
        return ReplayGuard(database: database, clock: clock, index: index)
    }

    /// How many unexpired values the in-memory index holds.
    var liveValueCount: Int { index.count }

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
        let now = clock().timeIntervalSince1970
        var alreadyClaimed: SingleUseKey?
        var newlyClaimed: [SingleUseKey] = []
        var digests: [(digest: ClaimedValueIndex.Digest, expiresAt: TimeInterval)] = []
        for key in keys {
            let digest = ClaimedValueIndex.Digest(of: key.key)
            let expiresAt = key.expiresAt.timeIntervalSince1970
            if index.insert(digest, expiresAt: expiresAt, now: now) {
                newlyClaimed.append(key)
                digests.append((digest, expiresAt))
            } else if alreadyClaimed == nil {
                alreadyClaimed = key
            }
        }
        guard !newlyClaimed.isEmpty else { return alreadyClaimed }
        let index = index
        let inserted = digests
        db.afterNextTransaction(onCommit: { _ in }, onRollback: { _ in index.remove(inserted) })
        for key in newlyClaimed {
            // Logged already, though not in this index: claimed through another guard over the same file.
            if try !Self.log(key.key, expiresAt: key.expiresAt, in: db), alreadyClaimed == nil { alreadyClaimed = key }
        }
        return alreadyClaimed
    }

    /// Writes `key` to the durable log alone, inside the caller's write transaction; `false` when it
    /// was logged before with the same expiry. What a value always presented with one expiry — a
    /// device challenge's, which carries its own (``DeviceChallengeAuthenticator``) — needs to be
    /// single-use, without this guard's in-memory index.
    static func log(_ key: String, expiresAt: Date, in db: Database) throws -> Bool {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO oidc_spent_jti (expires_at, key) VALUES (?, ?)")
            .execute(arguments: [expiresAt.timeIntervalSince1970, key])
        return db.changesCount == 1
    }

    /// Deletes the durable log's values that expired before `cutoff`, inside the caller's
    /// transaction; returns how many.
    static func pruneLog(before cutoff: TimeInterval, in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM oidc_spent_jti WHERE expires_at < ?", arguments: [cutoff])
        return db.changesCount
    }
}
