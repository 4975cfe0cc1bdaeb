import Foundation
import GRDB
import SmartNationCore

/// The identity platform's own database, `identity.sqlite` in the data directory, with its migrations
/// and its outbox. Its outbox is relayed under the name ``outboxName``.
public enum IdentityDatabase {
    /// The database's name in the data directory and the outbox's name in the event log.
    public static let outboxName = "identity"

    /// Opens (creating and migrating when needed) the identity database.
    public static func open(in dataDirectory: URL) throws(SmartNationError) -> DatabasePool {
        try PlatformDatabase.open(named: outboxName, in: dataDirectory, migrator: migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("identity v1: citizens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE citizen (
                        subject TEXT PRIMARY KEY,
                        nric TEXT NOT NULL UNIQUE,
                        status TEXT NOT NULL,
                        record BLOB NOT NULL
                    ) WITHOUT ROWID
                    """)
        }
        Outbox.registerMigration(in: &migrator)
        migrator.registerMigration("identity v2: device keys and challenges") { db in
            try db.execute(
                sql: """
                    CREATE TABLE device_key (
                        device_id TEXT PRIMARY KEY,
                        subject TEXT NOT NULL REFERENCES citizen (subject),
                        display_name TEXT NOT NULL,
                        public_key BLOB NOT NULL,
                        registered_at REAL NOT NULL,
                        revoked_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX device_key_subject ON device_key (subject);
                    CREATE TABLE device_challenge (
                        nonce TEXT PRIMARY KEY,
                        device_id TEXT NOT NULL,
                        purpose TEXT NOT NULL,
                        expires_at REAL NOT NULL,
                        used INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("identity v3: sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE session (
                        id TEXT PRIMARY KEY,
                        token_hash BLOB NOT NULL UNIQUE,
                        subject TEXT NOT NULL REFERENCES citizen (subject),
                        methods TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        last_seen_at REAL NOT NULL,
                        revoked_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX session_subject ON session (subject);
                    """)
        }
        migrator.registerMigration("identity v4: credentials") { db in
            try db.execute(
                sql: """
                    CREATE TABLE credential (
                        subject TEXT PRIMARY KEY REFERENCES citizen (subject),
                        password_hash TEXT,
                        totp_secret TEXT,
                        totp_last_step INTEGER
                    ) WITHOUT ROWID
                    """)
        }
        migrator.registerMigration("identity v5: recovery codes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE recovery_code (
                        subject TEXT NOT NULL REFERENCES citizen (subject),
                        code_hash TEXT NOT NULL,
                        PRIMARY KEY (subject, code_hash)
                    ) WITHOUT ROWID
                    """)
        }
        SQLitePKIStore.registerMigrations(in: &migrator)
        OpenIDStorage.registerMigrations(in: &migrator)
        BusinessStorage.registerMigrations(in: &migrator)
        migrator.registerMigration("identity v9: device challenge expiry index") { db in
            try db.execute(sql: "CREATE INDEX device_challenge_expiry ON device_challenge (expires_at)")
        }
        migrator.registerMigration("identity v10: pending pushed requests per client") { db in
            try db.execute(sql: "CREATE INDEX oidc_pushed_request_pending ON oidc_pushed_request (client_id, used, expires_at)")
        }
        migrator.registerMigration("identity v11: no token index by grant") { db in
            // Tokens are found by their key and die with their grant's `revoked_at`; nothing reads
            // them by grant, and the index cost a random B-tree page in every token request's commit.
            // Nothing deletes grants either: whatever starts to must bring the index back, or each
            // delete scans `oidc_token` for the foreign key from `oidc_token.grant_id`.
            try db.execute(sql: "DROP INDEX oidc_token_grant")
        }
        migrator.registerMigration("identity v12: codes and tokens stored by time-ordered key") { db in
            // New codes and tokens are stored under `RandomToken.storageKey`: their issue time, then
            // their hash. Tokens issued before keep their plain hash, which is still their key.
            try db.execute(sql: """
                ALTER TABLE oidc_authorization_code RENAME COLUMN code_hash TO code_key;
                ALTER TABLE oidc_token RENAME COLUMN token_hash TO token_key;
                """)
        }
        migrator.registerMigration("identity v13: spent jti log by expiry") { db in
            // Spent `jti`s are logged by expiry, then value, so claims append to the log's last
            // pages; the lookup by value is an in-memory index on the writer (`ReplayGuard`).
            try db.execute(sql: """
                CREATE TABLE oidc_spent_jti (
                    expires_at REAL NOT NULL,
                    key TEXT NOT NULL,
                    PRIMARY KEY (expires_at, key)
                ) WITHOUT ROWID;
                INSERT INTO oidc_spent_jti (expires_at, key) SELECT expires_at, key FROM oidc_used_jti;
                DROP TABLE oidc_used_jti;
                """)
        }
        migrator.registerMigration("identity v14: signing keys published before they sign") { db in
            // A key signs from `signs_from`; keys stored before signed from their creation.
            try db.execute(sql: """
                ALTER TABLE oidc_signing_key ADD COLUMN signs_from REAL;
                UPDATE oidc_signing_key SET signs_from = created_at;
                """)
        }
        migrator.registerMigration("identity v15: grants pruned at their end") { db in
            // `OpenIDProvider.pruneExpired` now deletes grants once revoked or past their lifetime,
            // with their codes (found by grant). Tokens keep no foreign key to their grant: the check
            // would scan `oidc_token` for every grant deleted (v11 dropped the index by grant to keep
            // the token endpoint's commits small), and a token whose grant is gone is unknown anyway,
            // since every lookup joins the grant. Their capped expiry prunes them first.
            try db.execute(sql: """
                CREATE TABLE oidc_token_new (
                    token_key BLOB PRIMARY KEY,
                    kind TEXT NOT NULL,
                    grant_id TEXT NOT NULL,
                    jkt TEXT,
                    issued_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    rotated_at REAL,
                    revoked_at REAL
                ) WITHOUT ROWID;
                INSERT INTO oidc_token_new SELECT token_key, kind, grant_id, jkt, issued_at, expires_at, rotated_at, revoked_at FROM oidc_token;
                DROP TABLE oidc_token;
                ALTER TABLE oidc_token_new RENAME TO oidc_token;
                CREATE INDEX oidc_authorization_code_grant ON oidc_authorization_code (grant_id);
                CREATE INDEX oidc_grant_auth_time ON oidc_grant (auth_time);
                CREATE INDEX oidc_grant_revoked ON oidc_grant (revoked_at) WHERE revoked_at IS NOT NULL;
                """)
        }
        migrator.registerMigration("identity v16: login throttle") { db in
            // The throttle's counts, kept here rather than in memory so that a restart forgets no
            // lockout and every daemon on this database counts the same failures.
            try db.execute(sql: """
                CREATE TABLE login_throttle (
                    key TEXT PRIMARY KEY,
                    failures INTEGER NOT NULL CHECK (failures > 0),
                    locked_until REAL,
                    last_failure REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure);
                """)
        }
        migrator.registerMigration("identity v17: pending device codes per client") { db in
            try db.execute(sql: "CREATE INDEX oidc_device_authorization_pending ON oidc_device_authorization (client_id, status, expires_at)")
        }
        migrator.registerMigration("identity v18: TOTP enrolments confirmed before they take effect") { db in
            try db.execute(sql: "ALTER TABLE credential ADD COLUMN totp_pending_secret BLOB")
            try db.execute(sql: "ALTER TABLE credential ADD COLUMN totp_pending_expires_at REAL")
        }
        migrator.registerMigration("identity v19: outstanding challenges per device") { db in
            try db.execute(sql: "CREATE INDEX device_challenge_device ON device_challenge (device_id, used, expires_at)")
        }
        migrator.registerMigration("identity v20: who asked for each device challenge") { db in
            try db.execute(sql: "ALTER TABLE device_challenge ADD COLUMN requester TEXT")
        }
        migrator.registerMigration("identity v21: device challenges carry themselves") { db in
            // A challenge's nonce now holds its device, purpose and expiry under the platform's key
            // (`DeviceChallengeAuthenticator`); only spent ones are logged, in `oidc_spent_jti`.
            // Challenges issued before the upgrade are answered as unknown: the device asks again.
            try db.execute(sql: "DROP TABLE device_challenge")
        }
        migrator.registerMigration("identity v22: a CRL per certificate authority") { db in
            // The root publishes a CRL of its own beside the issuing CA's (`AuthorityRole`); the
            // issuing CA's list, until now the only one, keeps its number.
            try db.execute(sql: """
                CREATE TABLE pki_authority_crl (
                    role TEXT PRIMARY KEY CHECK (role IN ('root', 'issuing')),
                    number INTEGER NOT NULL CHECK (number > 0),
                    this_update REAL NOT NULL,
                    next_update REAL NOT NULL,
                    crl BLOB NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO pki_authority_crl (role, number, this_update, next_update, crl)
                    SELECT 'issuing', number, this_update, next_update, crl FROM pki_crl;
                DROP TABLE pki_crl;
                """)
        }
        return migrator
    }
}
