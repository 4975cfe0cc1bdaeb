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
        var pending: (secret: String, expiresAt: Date)?
        if let sealed = row["totp_pending_secret"] as Data?, let expiresAt = row["totp_pending_expires_at"] as Double? {
            pending = (String(decoding: try sealer.open(sealed, context: Self.totpContext(subject)), as: UTF8.self),
                       Date(timeIntervalSince1970: expiresAt))
        }
        return StoredCredentials(passwordHash: row["password_hash"], totpSecret: secret, totpLastStep: row["totp_last_step"], pendingTOTP: pending)
    }

    public func setPasswordHash(_ hash: String, subject: String) async throws(SmartNationError) {
        try await writeForCitizen { db in
            try db.execute(
                sql: "INSERT INTO credential (subject, password_hash) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET password_hash = excluded.password_hash",
                arguments: [subject, hash])
        }
    }

    public func replacePasswordHash(_ current: String, with hash: String, subject: String) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "UPDATE credential SET password_hash = ? WHERE subject = ? AND password_hash = ?", arguments: [hash, subject, current])
                return db.changesCount == 1
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func setPendingTOTPSecret(_ secret: String, expiresAt: Date, subject: String) async throws(SmartNationError) {
        let sealed = sealer.seal(Data(secret.utf8), context: Self.totpContext(subject))
        try await writeForCitizen { db in
            try db.execute(
                sql: """
                    INSERT INTO credential (subject, totp_pending_secret, totp_pending_expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (subject) DO UPDATE SET
                        totp_pending_secret = excluded.totp_pending_secret, totp_pending_expires_at = excluded.totp_pending_expires_at
                    """,
                arguments: [subject, sealed, expiresAt.timeIntervalSince1970])
        }
    }

    public func activatePendingTOTPSecret(_ secret: String, step: Int64, now: Date, subject: String) async throws(SmartNationError) -> Bool {
        let sealer = sealer
        do {
            return try await database.write { db in
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT totp_pending_secret, totp_pending_expires_at FROM credential WHERE subject = ?", arguments: [subject]),
                    let sealed = row[0] as Data?, let expiresAt = row[1] as Double?, expiresAt > now.timeIntervalSince1970,
                    String(decoding: try sealer.open(sealed, context: Self.totpContext(subject)), as: UTF8.self) == secret
                else { return false }
                try db.execute(
                    sql: """
                        UPDATE credential SET totp_secret = totp_pending_secret, totp_last_step = ?,
                            totp_pending_secret = NULL, totp_pending_expires_at = NULL
                        WHERE subject = ?
                        """,
                    arguments: [step, subject])
                return true
            }
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
        try await writeForCitizen { db in
            try db.execute(sql: "DELETE FROM recovery_code WHERE subject = ?", arguments: [subject])
            for hash in hashes {
                try db.execute(sql: "INSERT INTO recovery_code (subject, code_hash) VALUES (?, ?)", arguments: [subject, hash])
            }
        }
    }

    public func hasRecoveryCode(hash: String, subject: String) async throws(SmartNationError) -> Bool {
        do {
            return try await database.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM recovery_code WHERE subject = ? AND code_hash = ?)", arguments: [subject, hash])
                    ?? false
            }
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

    /// Runs `body` in a write transaction; a write naming no registered citizen (the foreign key to
    /// `citizen`) is ``SmartNationError/Code/identityCitizenNotFound``.
    private func writeForCitizen(_ body: @escaping @Sendable (Database) throws -> Void) async throws(SmartNationError) {
        do {
            try await database.write(body)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
