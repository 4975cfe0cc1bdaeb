import Foundation
import GRDB
import SmartNationCore

/// ``PKIStore`` on the identity platform's SQLite database.
public struct SQLitePKIStore: PKIStore {
    private let database: DatabasePool

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned.
    public init(database: DatabasePool) {
        self.database = database
    }

    /// Adds the PKI's tables: the CAs (certificate and sealed key per role), issued certificates, and
    /// the current CRL with its number (since identity v22, one per CA: `pki_authority_crl`).
    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("identity v6: national PKI") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pki_authority (
                        role TEXT PRIMARY KEY CHECK (role IN ('root', 'issuing')),
                        certificate BLOB NOT NULL,
                        sealed_private_key BLOB NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE pki_certificate (
                        serial TEXT PRIMARY KEY,
                        kind TEXT NOT NULL CHECK (kind IN ('citizen', 'device')),
                        subject TEXT NOT NULL,
                        certificate BLOB NOT NULL,
                        not_before REAL NOT NULL,
                        not_after REAL NOT NULL,
                        revoked_at REAL,
                        revocation_reason TEXT
                    ) WITHOUT ROWID;
                    CREATE INDEX pki_certificate_subject ON pki_certificate (kind, subject);
                    CREATE TABLE pki_crl (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        number INTEGER NOT NULL CHECK (number > 0),
                        this_update REAL NOT NULL,
                        next_update REAL NOT NULL,
                        crl BLOB NOT NULL
                    );
                    """)
        }
    }

    public func authorities() async throws(SmartNationError) -> StoredAuthorities? {
        do {
            return try await database.read { db in try Self.authorities(db) }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func createAuthorities(
        _ authorities: StoredAuthorities, firstRevocationList: RevocationList
    ) async throws(SmartNationError) -> StoredAuthorities {
        do {
            return try await database.write { db in
                if let existing = try Self.authorities(db) { return existing }
                let insert = "INSERT INTO pki_authority (role, certificate, sealed_private_key) VALUES (?, ?, ?)"
                try db.execute(sql: insert, arguments: ["root", authorities.rootCertificate, authorities.rootSealedKey])
                try db.execute(sql: insert, arguments: ["issuing", authorities.issuingCertificate, authorities.issuingSealedKey])
                try Self.store(firstRevocationList, of: .issuing, db)
                return authorities
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func renewAuthorities(
        _ expected: StoredAuthorities, to renewed: StoredAuthorities, announcing events: [CloudEvent]
    ) async throws(SmartNationError) -> StoredAuthorities {
        precondition(
            renewed.rootSealedKey == expected.rootSealedKey && renewed.issuingSealedKey == expected.issuingSealedKey,
            "a renewal certifies the same keys again")
        do {
            return try await database.write { db in
                guard let stored = try Self.authorities(db) else { preconditionFailure("CAs are renewed only once they exist") }
                guard stored == expected else { return stored }
                let update = "UPDATE pki_authority SET certificate = ? WHERE role = ?"
                try db.execute(sql: update, arguments: [renewed.rootCertificate, AuthorityRole.root.rawValue])
                try db.execute(sql: update, arguments: [renewed.issuingCertificate, AuthorityRole.issuing.rawValue])
                for event in events { try Outbox.enqueue(event, in: db) }
                return renewed
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func insert(_ certificate: IssuedCertificate, announcing event: CloudEvent) async throws(SmartNationError) {
        do {
            try await database.write { db in
                if certificate.kind == .citizen,
                   try String.fetchOne(db, sql: "SELECT status FROM citizen WHERE subject = ?", arguments: [certificate.subject]) == Citizen.Status.closed.rawValue {
                    throw SmartNationError(.identityCitizenClosed, httpStatus: 409)
                }
                let (live, lastDay) = try Self.issuedCounts(of: certificate, in: db)
                guard live < NationalPKI.certificatesPerSubjectMax, lastDay < NationalPKI.certificatesPerSubjectMax else {
                    throw SmartNationError(
                        .identityPKICertificateLimit, parameters: ["maximum": String(NationalPKI.certificatesPerSubjectMax)], httpStatus: 409)
                }
                try db.execute(
                    sql: """
                        INSERT INTO pki_certificate (serial, kind, subject, certificate, not_before, not_after)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        certificate.serialNumber, certificate.kind.rawValue, certificate.subject, certificate.derEncoded,
                        certificate.notBefore.timeIntervalSince1970, certificate.notAfter.timeIntervalSince1970,
                    ])
                try Outbox.enqueue(event, in: db)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// How many certificates of `certificate`'s kind its subject holds live at its `notBefore`, and
    /// how many were issued to it in the day before.
    private static func issuedCounts(of certificate: IssuedCertificate, in db: Database) throws -> (live: Int, lastDay: Int) {
        let now = certificate.notBefore.timeIntervalSince1970
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT COUNT(CASE WHEN revoked_at IS NULL AND not_after > ? THEN 1 END) AS live,
                       COUNT(CASE WHEN not_before > ? THEN 1 END) AS last_day
                FROM pki_certificate WHERE kind = ? AND subject = ?
                """,
            arguments: [now, now - 86_400, certificate.kind.rawValue, certificate.subject])
        return (row?["live"] ?? 0, row?["last_day"] ?? 0)
    }

    public func certificate(serialNumber: String) async throws(SmartNationError) -> IssuedCertificate? {
        do {
            return try await database.read { db in try Self.certificate(serialNumber: serialNumber, db) }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func certificates(kind: CertificateKind, subject: String) async throws(SmartNationError) -> [IssuedCertificate] {
        do {
            return try await database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM pki_certificate WHERE kind = ? AND subject = ? ORDER BY not_before DESC, serial",
                    arguments: [kind.rawValue, subject]
                ).map(Self.certificate(from:))
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func revoke(
        serialNumber: String, revocation: CertificateRevocation, announcing event: CloudEvent,
        reissue: @escaping RevocationListMaker
    ) async throws(SmartNationError) -> IssuedCertificate {
        do {
            return try await database.write { db in
                guard var certificate = try Self.certificate(serialNumber: serialNumber, db) else {
                    throw SmartNationError(.identityPKICertificateNotFound, httpStatus: 404)
                }
                guard certificate.revocation == nil else {
                    throw SmartNationError(.identityPKICertificateRevoked, httpStatus: 409)
                }
                try db.execute(
                    sql: "UPDATE pki_certificate SET revoked_at = ?, revocation_reason = ? WHERE serial = ?",
                    arguments: [revocation.date.timeIntervalSince1970, revocation.reason.rawValue, serialNumber])
                try Outbox.enqueue(event, in: db)
                try Self.reissue(of: .issuing, reissue, db)
                certificate.revocation = revocation
                return certificate
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func revocationList(of role: AuthorityRole) async throws(SmartNationError) -> RevocationList? {
        do {
            return try await database.read { db in try Self.revocationList(of: role, db) }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    private static func revocationList(of role: AuthorityRole, _ db: Database) throws -> RevocationList? {
        try Row.fetchOne(db, sql: "SELECT * FROM pki_authority_crl WHERE role = ?", arguments: [role.rawValue]).map { row in
            RevocationList(
                number: row["number"], thisUpdate: Date(timeIntervalSince1970: row["this_update"]),
                nextUpdate: Date(timeIntervalSince1970: row["next_update"]), derEncoded: row["crl"])
        }
    }

    public func reissueRevocationList(
        of role: AuthorityRole, unlessCurrent isCurrent: @escaping @Sendable (RevocationList) -> Bool,
        _ reissue: @escaping RevocationListMaker
    ) async throws(SmartNationError) -> RevocationList {
        do {
            return try await database.write { db in
                if let current = try Self.revocationList(of: role, db), isCurrent(current) { return current }
                return try Self.reissue(of: role, reissue, db)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    @discardableResult
    private static func reissue(of role: AuthorityRole, _ make: RevocationListMaker, _ db: Database) throws -> RevocationList {
        let previous = try Int64.fetchOne(db, sql: "SELECT number FROM pki_authority_crl WHERE role = ?", arguments: [role.rawValue]) ?? 0
        let entries: [RevokedSerial]
        switch role {
        case .root:
            entries = []
        case .issuing:
            entries = try Row.fetchAll(
                db, sql: "SELECT serial, revoked_at, revocation_reason FROM pki_certificate WHERE revoked_at IS NOT NULL ORDER BY serial"
            ).map { row in
                RevokedSerial(
                    serialNumber: row["serial"], date: Date(timeIntervalSince1970: row["revoked_at"]),
                    reason: RevocationReason(rawValue: row["revocation_reason"]) ?? .unspecified)
            }
        }
        let list = try make(previous + 1, entries)
        precondition(list.number == previous + 1, "a reissued CRL takes the next number")
        try store(list, of: role, db)
        return list
    }

    private static func store(_ list: RevocationList, of role: AuthorityRole, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO pki_authority_crl (role, number, this_update, next_update, crl) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (role) DO UPDATE SET number = excluded.number, this_update = excluded.this_update,
                    next_update = excluded.next_update, crl = excluded.crl
                """,
            arguments: [role.rawValue, list.number, list.thisUpdate.timeIntervalSince1970, list.nextUpdate.timeIntervalSince1970, list.derEncoded])
    }

    private static func authorities(_ db: Database) throws -> StoredAuthorities? {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM pki_authority")
        guard let root = rows.first(where: { $0["role"] == "root" }),
            let issuing = rows.first(where: { $0["role"] == "issuing" })
        else { return nil }
        return StoredAuthorities(
            rootCertificate: root["certificate"], rootSealedKey: root["sealed_private_key"],
            issuingCertificate: issuing["certificate"], issuingSealedKey: issuing["sealed_private_key"])
    }

    private static func certificate(serialNumber: String, _ db: Database) throws -> IssuedCertificate? {
        try Row.fetchOne(db, sql: "SELECT * FROM pki_certificate WHERE serial = ?", arguments: [serialNumber])
            .map(certificate(from:))
    }

    private static func certificate(from row: Row) -> IssuedCertificate {
        let revocation: CertificateRevocation? = (row["revoked_at"] as Double?).map { date in
            CertificateRevocation(
                date: Date(timeIntervalSince1970: date),
                reason: RevocationReason(rawValue: row["revocation_reason"] ?? "") ?? .unspecified)
        }
        guard let kind = CertificateKind(rawValue: row["kind"]) else {
            preconditionFailure("the pki_certificate.kind CHECK constraint admits only known kinds")
        }
        return IssuedCertificate(
            serialNumber: row["serial"], kind: kind, subject: row["subject"],
            derEncoded: row["certificate"], notBefore: Date(timeIntervalSince1970: row["not_before"]),
            notAfter: Date(timeIntervalSince1970: row["not_after"]), revocation: revocation)
    }

    public func recordAudit(_ event: CloudEvent) async throws(SmartNationError) {
        try await OutboxAuditTrail(database: database).recordAudit(event)
    }
}
