import GRDB

/// The OpenID provider's tables in `identity.sqlite`.
///
/// Authorization codes and access and refresh tokens are stored under their issue time and their
/// SHA-256 (`RandomToken.storageKey`), device codes and client secrets as SHA-256 hashes; signing
/// keys sealed with the ``SecretSealer``. A grant (one consented login of one citizen at one client) owns its
/// tokens, so revoking the grant — on a reused code or refresh token, or a withdrawn consent —
/// revokes everything issued under it.
enum OpenIDStorage {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("identity v7: OpenID provider") { db in
            try db.execute(
                sql: """
                    CREATE TABLE oidc_client (
                        client_id TEXT PRIMARY KEY,
                        record BLOB NOT NULL,
                        removed_at REAL
                    ) WITHOUT ROWID;
                    CREATE TABLE oidc_signing_key (
                        kid TEXT PRIMARY KEY,
                        sealed_key BLOB NOT NULL,
                        created_at REAL NOT NULL,
                        retired_at REAL
                    ) WITHOUT ROWID;
                    CREATE TABLE oidc_pushed_request (
                        request_uri TEXT PRIMARY KEY,
                        client_id TEXT NOT NULL,
                        record BLOB NOT NULL,
                        expires_at REAL NOT NULL,
                        used INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    CREATE INDEX oidc_pushed_request_expiry ON oidc_pushed_request (expires_at);
                    CREATE TABLE oidc_grant (
                        grant_id TEXT PRIMARY KEY,
                        client_id TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        methods TEXT NOT NULL,
                        auth_time REAL NOT NULL,
                        revoked_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX oidc_grant_subject_client ON oidc_grant (subject, client_id);
                    CREATE TABLE oidc_authorization_code (
                        code_hash BLOB PRIMARY KEY,
                        grant_id TEXT NOT NULL REFERENCES oidc_grant (grant_id),
                        redirect_uri TEXT NOT NULL,
                        code_challenge TEXT NOT NULL,
                        nonce TEXT,
                        dpop_jkt TEXT,
                        expires_at REAL NOT NULL,
                        used_at REAL
                    ) WITHOUT ROWID;
                    CREATE TABLE oidc_token (
                        token_hash BLOB PRIMARY KEY,
                        kind TEXT NOT NULL,
                        grant_id TEXT NOT NULL REFERENCES oidc_grant (grant_id),
                        jkt TEXT,
                        issued_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        rotated_at REAL,
                        revoked_at REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX oidc_token_grant ON oidc_token (grant_id);
                    CREATE TABLE oidc_consent (
                        subject TEXT NOT NULL,
                        client_id TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        granted_at REAL NOT NULL,
                        PRIMARY KEY (subject, client_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE oidc_used_jti (
                        key TEXT PRIMARY KEY,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX oidc_used_jti_expiry ON oidc_used_jti (expires_at);
                    CREATE TABLE oidc_device_authorization (
                        device_code_hash BLOB PRIMARY KEY,
                        user_code TEXT NOT NULL UNIQUE,
                        client_id TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        expires_at REAL NOT NULL,
                        last_polled_at REAL,
                        status TEXT NOT NULL,
                        grant_id TEXT
                    ) WITHOUT ROWID;
                    """)
        }
    }
}
