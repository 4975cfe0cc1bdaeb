import Crypto
import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("identity.sqlite migrations over existing data")
struct IdentityMigrationTests {
    @Test("v11 and v12 on a database holding codes and tokens: the token index by grant goes, and each row keeps its key under the new column name")
    func timeOrderedKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sn-identity-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory.appendingPathComponent("identity.sqlite").path)
        try IdentityDatabase.migrator.migrate(pool, upTo: "identity v10: pending pushed requests per client")
        let tokenHash = RandomToken.hash("a token issued before v12")
        let codeHash = RandomToken.hash("a code issued before v12")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO oidc_grant (grant_id, client_id, subject, scopes, methods, auth_time) VALUES ('grant-1', 'client-1', 'subject-1', 'openid', 'pwd', 0);
                """)
            try db.execute(sql: "INSERT INTO oidc_token (token_hash, kind, grant_id, issued_at, expires_at) VALUES (?, 'refresh', 'grant-1', 0, 1)",
                           arguments: [tokenHash])
            try db.execute(sql: """
                INSERT INTO oidc_authorization_code (code_hash, grant_id, redirect_uri, code_challenge, expires_at) VALUES (?, 'grant-1', 'https://app.test.sg/cb', 'challenge', 1)
                """, arguments: [codeHash])
        }
        try IdentityDatabase.migrator.migrate(pool)
        let (tokenKeys, codeKeys, grantIndex) = try pool.read { db in
            (try Data.fetchAll(db, sql: "SELECT token_key FROM oidc_token"),
             try Data.fetchAll(db, sql: "SELECT code_key FROM oidc_authorization_code"),
             try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'oidc_token_grant'"))
        }
        #expect(tokenKeys == [tokenHash])
        #expect(codeKeys == [codeHash])
        #expect(grantIndex == nil)
    }

    @Test("v13 moves the spent jtis into the log by expiry, and a guard opened over it still refuses them")
    func spentJTILog() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sn-identity-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory.appendingPathComponent("identity.sqlite").path)
        try IdentityDatabase.migrator.migrate(pool, upTo: "identity v12: codes and tokens stored by time-ordered key")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO oidc_used_jti (key, expires_at) VALUES ('assertion:client-1:live', ?), ('dpop:jkt:expired', ?)",
                           arguments: [now.timeIntervalSince1970 + 60, now.timeIntervalSince1970 - 60])
        }
        try IdentityDatabase.migrator.migrate(pool)
        let (logged, oldTable) = try await pool.read { db in
            (try String.fetchAll(db, sql: "SELECT key FROM oidc_spent_jti ORDER BY expires_at"),
             try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE name = 'oidc_used_jti'"))
        }
        #expect(logged == ["dpop:jkt:expired", "assertion:client-1:live"])
        #expect(oldTable == nil)
        let replayGuard = try await ReplayGuard.open(database: pool, clock: { now })
        let refusal = SmartNationError.oauth(.oauthClientAssertionReplayed, "invalid_client", "replayed")
        await #expect(throws: refusal) {
            try await replayGuard.claim(SingleUseKey(key: "assertion:client-1:live", expiresAt: now.addingTimeInterval(60), refusal: refusal))
        }
    }

    @Test("v14 lets keys stored before sign from their creation: the provider opened over them keeps signing with the newest")
    func signingKeysSignFrom() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sn-identity-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory.appendingPathComponent("identity.sqlite").path)
        try IdentityDatabase.migrator.migrate(pool, upTo: "identity v13: spent jti log by expiry")
        let sealer = SecretSealer.random()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let (old, current) = (P256.Signing.PrivateKey(), P256.Signing.PrivateKey())
        try await pool.write { db in
            for (key, created, retired) in [(old, now.addingTimeInterval(-7200), now.addingTimeInterval(-3600) as Date?), (current, now.addingTimeInterval(-3600), nil)] {
                try db.execute(
                    sql: "INSERT INTO oidc_signing_key (kid, sealed_key, created_at, retired_at) VALUES (?, ?, ?, ?)",
                    arguments: [JWKThumbprint.of(key.publicKey), sealer.seal(key.rawRepresentation, context: "oidc.signing_key"),
                                created.timeIntervalSince1970, retired?.timeIntervalSince1970])
            }
        }
        try IdentityDatabase.migrator.migrate(pool)
        let keys = try await ProviderSigningKeys(database: pool, sealer: sealer, overlap: 24 * 3600, publicationLead: 600, clock: { now })
        #expect(keys.activeKeyID == JWKThumbprint.of(current.publicKey))
        let published = try JSONDecoder().decode(JSONValue.self, from: keys.jwks)
        guard case .array(let listed)? = published["keys"] else { Issue.record("no keys"); return }
        #expect(listed.count == 2, "the retired key is still within its overlap")
    }
}
