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
        let database = try PartlyMigratedDatabase(upTo: "identity v10: pending pushed requests per client")
        defer { database.remove() }
        let pool = database.pool
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

    @Test("v21 drops the stored device challenges; v22 carries the issuing CA's CRL over, with its number, to the table of one CRL per CA")
    func challengesGoAndCRLsByRole() throws {
        let database = try PartlyMigratedDatabase(upTo: "identity v20: who asked for each device challenge")
        defer { database.remove() }
        let pool = database.pool
        try pool.write { db in
            try db.execute(sql: "INSERT INTO pki_crl (id, number, this_update, next_update, crl) VALUES (1, 7, 10, 20, X'3082')")
            try db.execute(sql: "INSERT INTO device_challenge (nonce, device_id, purpose, expires_at, requester) VALUES ('n', 'd', 'login', 1, 'a')")
        }
        try IdentityDatabase.migrator.migrate(pool)
        let (crls, leftover) = try pool.read { db in
            (try Row.fetchAll(db, sql: "SELECT * FROM pki_authority_crl"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('pki_crl', 'device_challenge')"))
        }
        #expect(crls == [["role": "issuing", "number": 7, "this_update": 10.0, "next_update": 20.0, "crl": Data([0x30, 0x82])]])
        #expect(leftover.isEmpty)
    }

    @Test("v15 keeps every token and its columns, without the foreign key to its grant, and indexes codes and grants for the prune")
    func grantsPrunedAtTheirEnd() throws {
        let database = try PartlyMigratedDatabase(upTo: "identity v14: signing keys published before they sign")
        defer { database.remove() }
        let pool = database.pool
        let tokenKey = RandomToken.hash("a token issued before v15")
        try pool.write { db in
            try db.execute(sql: "INSERT INTO oidc_grant (grant_id, client_id, subject, scopes, methods, auth_time) VALUES ('grant-1', 'client-1', 'subject-1', 'openid', 'pwd', 0)")
            try db.execute(sql: """
                INSERT INTO oidc_token (token_key, kind, grant_id, jkt, issued_at, expires_at, rotated_at, revoked_at)
                VALUES (?, 'refresh', 'grant-1', 'jkt-1', 1, 2, 3, 4)
                """, arguments: [tokenKey])
        }
        try IdentityDatabase.migrator.migrate(pool)
        let (row, foreignKeys, indexes) = try pool.read { db in
            (try Row.fetchOne(db, sql: "SELECT * FROM oidc_token"),
             try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(oidc_token)"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('oidc_authorization_code_grant', 'oidc_grant_auth_time', 'oidc_grant_revoked') ORDER BY name"))
        }
        #expect(row == ["token_key": tokenKey, "kind": "refresh", "grant_id": "grant-1", "jkt": "jkt-1", "issued_at": 1.0, "expires_at": 2.0, "rotated_at": 3.0, "revoked_at": 4.0])
        #expect(foreignKeys.isEmpty)
        #expect(indexes == ["oidc_authorization_code_grant", "oidc_grant_auth_time", "oidc_grant_revoked"])
        try pool.write { db in try db.execute(sql: "DELETE FROM oidc_grant") }
    }

    @Test("v13 moves the spent jtis into the log by expiry, and a guard opened over it still refuses them")
    func spentJTILog() async throws {
        let database = try PartlyMigratedDatabase(upTo: "identity v12: codes and tokens stored by time-ordered key")
        defer { database.remove() }
        let pool = database.pool
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
        let database = try PartlyMigratedDatabase(upTo: "identity v13: spent jti log by expiry")
        defer { database.remove() }
        let pool = database.pool
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

/// An `identity.sqlite` in a fresh directory, migrated up to one migration, to hold data as an
/// older release left it.
private struct PartlyMigratedDatabase {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sn-identity-migration-\(UUID().uuidString)")
    let pool: DatabasePool

    init(upTo migration: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pool = try DatabasePool(path: directory.appendingPathComponent("identity.sqlite").path)
        try IdentityDatabase.migrator.migrate(pool, upTo: migration)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
