import GRDB

/// The tables of businesses and their representatives, and the business a session or OpenID grant
/// acts for.
enum BusinessStorage {
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("identity v8: businesses") { db in
            try db.execute(
                sql: """
                    CREATE TABLE business (
                        uen TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        registered_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE business_representative (
                        uen TEXT NOT NULL REFERENCES business (uen),
                        subject TEXT NOT NULL REFERENCES citizen (subject),
                        role TEXT NOT NULL,
                        PRIMARY KEY (uen, subject)
                    ) WITHOUT ROWID;
                    CREATE INDEX business_representative_subject ON business_representative (subject);
                    ALTER TABLE session ADD COLUMN entity_uen TEXT;
                    ALTER TABLE oidc_grant ADD COLUMN entity_uen TEXT;
                    """)
        }
    }
}
