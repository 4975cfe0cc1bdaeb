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

    public func spend(challengeID: Data, expiresAt: Date) async throws(SmartNationError) -> Bool {
        do {
            return try await database.write { db in
                try ReplayGuard.log("device-challenge:" + challengeID.base64URLEncoded, expiresAt: expiresAt, in: db)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
