import Foundation
import GRDB
import SmartNationCore

/// ``CitizenStore`` on the identity platform's SQLite database. A citizen is kept as its JSON record
/// beside the columns it is looked up by.
public struct SQLiteCitizenStore: CitizenStore {
    private let database: DatabasePool

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned.
    public init(database: DatabasePool) {
        self.database = database
    }

    public func insert(_ citizen: Citizen, announcing event: CloudEvent) async throws(SmartNationError) {
        let record = try Self.encode(citizen)
        do {
            try await database.write { db in
                try db.execute(
                    sql: "INSERT INTO citizen (subject, nric, status, record) VALUES (?, ?, ?, ?)",
                    arguments: [citizen.subject, citizen.nric.value, citizen.status.rawValue, record])
                try Outbox.enqueue(event, in: db)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw SmartNationError(.identityCitizenExists, httpStatus: 409)
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func close(_ citizen: Citizen, announcing event: CloudEvent) async throws(SmartNationError) {
        precondition(citizen.status == .closed, "only a closed citizen is stored by close")
        guard let closedAt = citizen.closedAt?.timeIntervalSince1970 else { preconditionFailure("a closed citizen has its closing time") }
        let record = try Self.encode(citizen)
        do {
            try await database.write { db in
                // Only an open account closes: of two closings at once, the second finds it closed.
                try db.execute(
                    sql: "UPDATE citizen SET status = ?, record = ? WHERE subject = ? AND nric = ? AND status = ?",
                    arguments: [citizen.status.rawValue, record, citizen.subject, citizen.nric.value, Citizen.Status.active.rawValue])
                guard db.changesCount == 1 else {
                    let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM citizen WHERE subject = ?", arguments: [citizen.subject]) ?? false
                    throw exists ? SmartNationError(.identityCitizenClosed, httpStatus: 409) : SmartNationError(.identityCitizenNotFound, httpStatus: 404)
                }
                try db.execute(
                    sql: "UPDATE session SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL",
                    arguments: [closedAt, citizen.subject])
                try db.execute(
                    sql: "UPDATE device_key SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL",
                    arguments: [closedAt, citizen.subject])
                try db.execute(
                    sql: "UPDATE oidc_grant SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL",
                    arguments: [closedAt, citizen.subject])
                try Outbox.enqueue(event, in: db)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func citizen(nric: NRIC) async throws(SmartNationError) -> Citizen? {
        try await fetch(sql: "SELECT record FROM citizen WHERE nric = ?", argument: nric.value)
    }

    public func citizen(subject: String) async throws(SmartNationError) -> Citizen? {
        try await fetch(sql: "SELECT record FROM citizen WHERE subject = ?", argument: subject)
    }

    private func fetch(sql: String, argument: String) async throws(SmartNationError) -> Citizen? {
        let record: Data?
        do {
            record = try await database.read { db in try Data.fetchOne(db, sql: sql, arguments: [argument]) }
        } catch {
            throw SmartNationError.storage(error)
        }
        return try record.map(Self.decode)
    }

    /// A citizen from the `record` column, for queries elsewhere in the platform that join `citizen`.
    static func decode(_ record: Data) throws(SmartNationError) -> Citizen {
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode(Citizen.self, from: record)
        } catch {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "unreadable citizen record"], httpStatus: 500)
        }
    }

    private static func encode(_ citizen: Citizen) throws(SmartNationError) -> Data {
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            return try encoder.encode(citizen)
        } catch {
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "\(error)"], httpStatus: 500)
        }
    }
}
