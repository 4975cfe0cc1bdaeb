import Foundation
import GRDB

/// Opens a platform's own SQLite database inside the data directory: one file per platform
/// (`identity.sqlite`, `payments.sqlite`, …), a GRDB `DatabasePool` in WAL mode, the house pragmas,
/// and the platform's migrator run to completion before the pool is handed out.
public enum PlatformDatabase {
    /// How long a writer waits for another connection's lock before failing.
    public static let busyTimeout: TimeInterval = 5
    /// The most reader connections a pool opens (lazily). GRDB makes a read wait for a free reader on
    /// a blocked dispatch thread; on a 2-core machine two such waits starve the threads the readers'
    /// holders need to finish, and everything stops. The daemon keeps concurrent requests below this
    /// (``RequestConcurrencyLimit`` in SmartNationHTTP), so a read never waits for a reader.
    public static let readerCountMax = 64

    /// Opens (creating when missing) `<dataDirectory>/<name>.sqlite` and migrates it.
    ///
    /// - Parameters:
    ///   - name: the platform's database name, lower-case letters, digits, `-` and `_` (`payments`).
    ///   - dataDirectory: the daemon's data directory; created with mode 0700 when missing.
    ///   - migrator: the platform's migrations, applied in order.
    public static func open(
        named name: String,
        in dataDirectory: URL,
        migrator: DatabaseMigrator
    ) throws(SmartNationError) -> DatabasePool {
        guard !name.isEmpty, name.utf8.count <= 64,
            name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 })
        else {
            throw SmartNationError(.storageUnavailable, parameters: ["name": name, "reason": "invalid database name"])
        }
        try DataDirectory.prepare(dataDirectory)
        let path = dataDirectory.appendingPathComponent("\(name).sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.maximumReaderCount = readerCountMax
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(pool)
            return pool
        } catch {
            throw SmartNationError(
                .storageUnavailable,
                parameters: ["path": path, "reason": "\(error)"],
                httpStatus: 503
            )
        }
    }
}

/// The daemon's data directory: where every platform database, the event log and the embedded
/// broker's files live.
public enum DataDirectory {
    /// Creates `directory` (mode 0700) when missing and checks it is a writable directory.
    public static func prepare(_ directory: URL) throws(SmartNationError) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SmartNationError(
                    .storageUnavailable, parameters: ["path": directory.path, "reason": "not a directory"], httpStatus: 503)
            }
        } else {
            do {
                try manager.createDirectory(
                    at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SmartNationError(
                    .storageUnavailable, parameters: ["path": directory.path, "reason": "\(error)"], httpStatus: 503)
            }
        }
        guard manager.isWritableFile(atPath: directory.path) else {
            throw SmartNationError(
                .storageUnavailable, parameters: ["path": directory.path, "reason": "not writable"], httpStatus: 503)
        }
    }
}
