import Foundation
import GRDB
import SmartNationCore

/// ``SessionStore`` on the identity platform's SQLite database.
public struct SQLiteSessionStore: SessionStore {
    private let database: DatabasePool

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned.
    public init(database: DatabasePool) {
        self.database = database
    }

    public func insert(_ session: Session, tokenHash: Data) async throws(SmartNationError) {
        do {
            try await database.write { db in
                // Only for an open account, checked in the inserting transaction: a login that passed
                // its checks just before the account closed opens nothing.
                try db.execute(
                    sql: """
                        INSERT INTO session (id, token_hash, subject, methods, created_at, last_seen_at, entity_uen)
                        SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM citizen WHERE subject = ? AND status = ?)
                        """,
                    arguments: [
                        session.id, tokenHash, session.subject, session.authenticationMethods.joined(separator: " "),
                        session.createdAt.timeIntervalSince1970, session.lastSeenAt.timeIntervalSince1970, session.entityUEN,
                        session.subject, Citizen.Status.active.rawValue,
                    ])
                guard db.changesCount == 1 else { throw SmartNationError(.identityLoginAccountClosed, httpStatus: 403) }
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func session(tokenHash: Data) async throws(SmartNationError) -> Session? {
        try await sessions(where: "token_hash = ?", [tokenHash]).first
    }

    public func touch(id: String, at date: Date) async throws(SmartNationError) {
        do {
            try await database.write { db in
                try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE id = ?", arguments: [date.timeIntervalSince1970, id])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func revoke(subject: String, id: String?, at date: Date) async throws(SmartNationError) -> Int {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "UPDATE session SET revoked_at = ? WHERE subject = ? AND (? IS NULL OR id = ?) AND revoked_at IS NULL",
                    arguments: [date.timeIntervalSince1970, subject, id, id])
                return db.changesCount
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func liveSessions(subject: String) async throws(SmartNationError) -> [Session] {
        try await sessions(where: "subject = ? AND revoked_at IS NULL", [subject])
    }

    public func deleteEnded(revokedBefore: Date, lastSeenBefore: Date, createdBefore: Date) async throws(SmartNationError) -> Int {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "DELETE FROM session WHERE revoked_at < ? OR last_seen_at < ? OR created_at < ?",
                    arguments: [revokedBefore.timeIntervalSince1970, lastSeenBefore.timeIntervalSince1970, createdBefore.timeIntervalSince1970])
                return db.changesCount
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    private func sessions(where condition: String, _ arguments: StatementArguments) async throws(SmartNationError) -> [Session] {
        do {
            return try await database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM session WHERE \(condition) ORDER BY created_at DESC", arguments: arguments
                ).map { row in
                    Session(
                        id: row["id"], subject: row["subject"],
                        authenticationMethods: (row["methods"] as String).split(separator: " ").map(String.init),
                        createdAt: Date(timeIntervalSince1970: row["created_at"]),
                        lastSeenAt: Date(timeIntervalSince1970: row["last_seen_at"]),
                        revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)), entityUEN: row["entity_uen"])
                }
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
