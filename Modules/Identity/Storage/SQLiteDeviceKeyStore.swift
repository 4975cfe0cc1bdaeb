import Foundation
import GRDB
import SmartNationCore

/// ``DeviceKeyStore`` on the identity platform's SQLite database.
public struct SQLiteDeviceKeyStore: DeviceKeyStore {
    private let database: DatabasePool

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned.
    public init(database: DatabasePool) {
        self.database = database
    }

    public func insert(_ key: DeviceKey, liveKeysMax: Int) async throws(SmartNationError) {
        do {
            try await database.write { db in
                let live = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM device_key WHERE subject = ? AND revoked_at IS NULL", arguments: [key.subject]) ?? 0
                guard live < liveKeysMax else {
                    throw SmartNationError(.identityDeviceLimit, parameters: ["maximum": String(liveKeysMax)], httpStatus: 409)
                }
                try db.execute(
                    sql: """
                        INSERT INTO device_key (device_id, subject, display_name, public_key, registered_at)
                        VALUES (?, ?, ?, ?, ?)
                        """,
                    arguments: [key.deviceID, key.subject, key.displayName, key.publicKey, key.registeredAt.timeIntervalSince1970])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw SmartNationError(.identityDeviceExists, httpStatus: 409)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func key(deviceID: String) async throws(SmartNationError) -> DeviceKey? {
        try await keys(where: "device_id = ?", deviceID).first
    }

    public func keys(subject: String) async throws(SmartNationError) -> [DeviceKey] {
        try await keys(where: "subject = ?", subject)
    }

    private func keys(where condition: String, _ argument: String) async throws(SmartNationError) -> [DeviceKey] {
        do {
            return try await database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT * FROM device_key WHERE \(condition) ORDER BY registered_at DESC", arguments: [argument]
                ).map { row in
                    DeviceKey(
                        deviceID: row["device_id"], subject: row["subject"], displayName: row["display_name"],
                        publicKey: row["public_key"], registeredAt: Date(timeIntervalSince1970: row["registered_at"]),
                        revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
                }
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func revoke(deviceID: String, subject: String, at date: Date) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "UPDATE device_key SET revoked_at = ? WHERE device_id = ? AND subject = ? AND revoked_at IS NULL",
                    arguments: [date.timeIntervalSince1970, deviceID, subject])
                return db.changesCount == 1
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func insert(
        _ challenge: DeviceChallenge, requester: String, outstandingMax: Int, outstandingPerDeviceMax: Int
    ) async throws(SmartNationError) {
        let issuedAt = challenge.expiresAt.timeIntervalSince1970 - DeviceKeyRegistry.challengeLifetime
        do {
            try await database.write { db in
                try db.execute(
                    sql: "DELETE FROM device_challenge WHERE expires_at < ?",
                    arguments: [challenge.expiresAt.timeIntervalSince1970 - 2 * DeviceKeyRegistry.challengeLifetime])
                let requested = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM device_challenge WHERE device_id = ? AND requester = ? AND expires_at > ? AND used = 0",
                    arguments: [challenge.deviceID, requester, issuedAt]) ?? 0
                guard requested < outstandingMax else {
                    throw SmartNationError(.identityDeviceChallengeLimit, parameters: ["maximum": String(outstandingMax)], httpStatus: 429)
                }
                let outstanding = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM device_challenge WHERE device_id = ? AND expires_at > ? AND used = 0",
                    arguments: [challenge.deviceID, issuedAt]) ?? 0
                if outstanding >= outstandingPerDeviceMax {
                    try db.execute(
                        sql: """
                            DELETE FROM device_challenge WHERE nonce IN (
                                SELECT nonce FROM device_challenge WHERE device_id = ? AND expires_at > ? AND used = 0
                                ORDER BY expires_at LIMIT ?)
                            """,
                        arguments: [challenge.deviceID, issuedAt, outstanding - outstandingPerDeviceMax + 1])
                }
                try db.execute(
                    sql: "INSERT INTO device_challenge (nonce, device_id, purpose, expires_at, requester) VALUES (?, ?, ?, ?, ?)",
                    arguments: [challenge.nonce, challenge.deviceID, challenge.purpose, challenge.expiresAt.timeIntervalSince1970, requester])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func consume(nonce: String) async throws(SmartNationError) -> (challenge: DeviceChallenge, alreadyUsed: Bool)? {
        do {
            return try await database.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM device_challenge WHERE nonce = ?", arguments: [nonce]) else {
                    return nil
                }
                try db.execute(sql: "UPDATE device_challenge SET used = 1 WHERE nonce = ?", arguments: [nonce])
                let challenge = DeviceChallenge(
                    nonce: row["nonce"], deviceID: row["device_id"], purpose: row["purpose"],
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"]))
                return (challenge, (row["used"] as Int) != 0)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
