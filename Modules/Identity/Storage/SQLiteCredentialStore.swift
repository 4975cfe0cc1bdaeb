import Foundation
import GRDB
import SmartNationCore

/// ``CredentialStore`` on the identity platform's SQLite database. TOTP secrets are sealed with the
/// ``SecretSealer`` (bound to the citizen's subject), so a copy of `identity.sqlite` without the
/// key yields no second factor.
public struct SQLiteCredentialStore: CredentialStore {
    private let database: DatabasePool
    private let sealer: SecretSealer

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned, sealing secrets with `sealer`.
    public init(database: DatabasePool, sealer: SecretSealer) {
        self.database = database
        self.sealer = sealer
    }

    private static func totpContext(_ subject: String) -> String {
        "totp:" + subject
    }

    public func credentials(subject: String) async throws(SmartNationError) -> StoredCredentials {
        let row: Row?
        do {
            row = try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM credential WHERE subject = ?", arguments: [subject])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
        guard let row else { return StoredCredentials() }
        var secret: String?
        if let sealed = row["totp_secret"] as Data? {
            secret = String(decoding: try sealer.open(sealed, context: Self.totpContext(subject)), as: UTF8.self)
        }
        return StoredCredentials(passwordHash: row["password_hash"], totpSecret: secret, totpLastStep: row["totp_last_step"])
    }

    public func setPasswordHash(_ hash: String, subject: String) async throws(SmartNationError) {
        try await upsert(column: "password_hash", value: hash.databaseValue, subject: subject)
    }

    public func setTOTPSecret(_ secret: String, subject: String) async throws(SmartNationError) {
        let sealed = sealer.seal(Data(secret.utf8), context: Self.totpContext(subject))
        try await upsert(column: "totp_secret", value: sealed.databaseValue, subject: subject)
    }

    private func upsert(column: String, value: DatabaseValue, subject: String) async throws(SmartNationError) {
        precondition(["password_hash", "totp_secret"].contains(column))
        do {
            try await database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO credential (subject, \(column)) VALUES (?, ?)
                        ON CONFLICT (subject) DO UPDATE SET \(column) = excluded.\(column)\(column == "totp_secret" ? ", totp_last_step = NULL" : "")
                        """,
                    arguments: [subject, value])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func claimTOTPStep(_ step: Int64, subject: String) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "UPDATE credential SET totp_last_step = ? WHERE subject = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                    arguments: [step, subject, step])
                return db.changesCount == 1
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func replaceRecoveryCodeHashes(_ hashes: [String], subject: String) async throws(SmartNationError) {
        do {
            try await database.write { db in
                try db.execute(sql: "DELETE FROM recovery_code WHERE subject = ?", arguments: [subject])
                for hash in hashes {
                    try db.execute(sql: "INSERT INTO recovery_code (subject, code_hash) VALUES (?, ?)", arguments: [subject, hash])
                }
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func consumeRecoveryCode(hash: String, subject: String) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try db.execute(sql: "DELETE FROM recovery_code WHERE subject = ? AND code_hash = ?", arguments: [subject, hash])
                return db.changesCount == 1
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func recordAudit(_ event: CloudEvent) async throws(SmartNationError) {
        try await OutboxAuditTrail(database: database).recordAudit(event)
    }
}
