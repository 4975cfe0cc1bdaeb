import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("Replay guard: each jti accepted once, across restarts")
struct ReplayGuardTests {
    private static let refusal = SmartNationError.oauth(.oauthClientAssertionReplayed, "invalid_client", "replayed")

    private static func key(_ value: String, expiresAt: Date) -> SingleUseKey {
        SingleUseKey(key: value, expiresAt: expiresAt, refusal: refusal)
    }

    /// The identity database in `directory` and a guard over it on `clock`.
    private static func openGuard(in directory: URL, clock: ManualClock) async throws -> (DatabasePool, ReplayGuard) {
        let pool = try IdentityDatabase.open(in: directory)
        return (pool, try await ReplayGuard.open(database: pool, clock: { clock.now }))
    }

    /// A fresh data directory (created by `IdentityDatabase.open`).
    private static func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("sn-replay-\(UUID().uuidString)")
    }

    @Test("a value claimed before a restart is refused after it: the in-memory index is loaded from the durable log")
    func survivesRestart() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let expiry = clock.now.addingTimeInterval(60)
        let pool = try IdentityDatabase.open(in: directory)
        let guard1 = try await ReplayGuard.open(database: pool, clock: { clock.now })
        try await guard1.claim(Self.key("assertion:client-1:jti-1", expiresAt: expiry))
        await #expect(throws: Self.refusal) { try await guard1.claim(Self.key("assertion:client-1:jti-1", expiresAt: expiry)) }
        try pool.close()

        let restarted = try IdentityDatabase.open(in: directory)
        let guard2 = try await ReplayGuard.open(database: restarted, clock: { clock.now })
        await #expect(throws: Self.refusal) { try await guard2.claim(Self.key("assertion:client-1:jti-1", expiresAt: expiry)) }
        try await guard2.claim(Self.key("assertion:client-1:jti-2", expiresAt: expiry))
        let logged = try await restarted.read { db in try String.fetchAll(db, sql: "SELECT key FROM oidc_spent_jti ORDER BY key") }
        #expect(logged == ["assertion:client-1:jti-1", "assertion:client-1:jti-2"])
    }

    @Test("a rolled-back transaction un-claims its values in memory and on disk")
    func rollback() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let (pool, replayGuard) = try await Self.openGuard(in: directory, clock: clock)
        let key = Self.key("dpop:thumbprint:jti-1", expiresAt: clock.now.addingTimeInterval(60))
        struct Midway: Error {}
        await #expect(throws: Midway.self) {
            try await pool.write { db in
                #expect(try replayGuard.claim([key], in: db) == nil)
                throw Midway()
            }
        }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM oidc_spent_jti") } == 0)
        #expect(replayGuard.liveValueCount == 0)
        try await replayGuard.claim(key)
    }

    @Test("expired values leave the in-memory index at the next claim, and the log when pruned")
    func pruning() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let (pool, replayGuard) = try await Self.openGuard(in: directory, clock: clock)
        try await replayGuard.claim(Self.key("assertion:c:short", expiresAt: clock.now.addingTimeInterval(5)))
        try await replayGuard.claim(Self.key("assertion:c:long", expiresAt: clock.now.addingTimeInterval(120)))
        #expect(replayGuard.liveValueCount == 2)
        clock.advance(by: 7)
        try await replayGuard.claim(Self.key("assertion:c:next", expiresAt: clock.now.addingTimeInterval(120)))
        #expect(replayGuard.liveValueCount == 2, "the expired value is gone from memory; the live ones stay")
        await #expect(throws: Self.refusal) {
            try await replayGuard.claim(Self.key("assertion:c:long", expiresAt: clock.now.addingTimeInterval(110)))
        }
        let pruned = try await pool.write { db in try ReplayGuard.pruneLog(before: clock.now.timeIntervalSince1970, in: db) }
        #expect(pruned == 1)
    }

    @Test("the index tells values apart by their digest, drops each in the second after it expires, and skips a long idle spell")
    func index() {
        let start: TimeInterval = 1_800_000_000
        let index = ClaimedValueIndex(now: start)
        let first = ClaimedValueIndex.Digest(of: "assertion:client-1:a")
        #expect(index.insert(first, expiresAt: start + 10.2, now: start))
        #expect(!index.insert(first, expiresAt: start + 10.2, now: start + 1))
        #expect(index.insert(ClaimedValueIndex.Digest(of: "assertion:client-1:b"), expiresAt: start + 30, now: start + 2))
        #expect(!index.insert(first, expiresAt: start + 10.2, now: start + 10.9), "not yet expired")
        #expect(index.insert(ClaimedValueIndex.Digest(of: "assertion:client-1:c"), expiresAt: start + 60, now: start + 12))
        #expect(index.count == 2, "the first value expired at +10.2 s and was dropped at +12 s")
        #expect(index.insert(first, expiresAt: start + 100, now: start + 12))
        index.remove([(first, start + 100)])
        #expect(index.count == 2)
        #expect(index.insert(ClaimedValueIndex.Digest(of: "dpop:jkt:d"), expiresAt: start + 86_460, now: start + 86_400))
        #expect(index.count == 1, "after a day idle only the new value is left")
    }

    @Test("a value another guard over the same file claimed since this one opened is refused by the log")
    func secondGuard() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let pool = try IdentityDatabase.open(in: directory)
        let first = try await ReplayGuard.open(database: pool, clock: { clock.now })
        let second = try await ReplayGuard.open(database: pool, clock: { clock.now })
        let key = Self.key("dpop:thumbprint:jti-1", expiresAt: clock.now.addingTimeInterval(60))
        try await first.claim(key)
        await #expect(throws: Self.refusal) { try await second.claim(key) }
    }
}
