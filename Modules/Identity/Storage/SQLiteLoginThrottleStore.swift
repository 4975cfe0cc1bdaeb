import Foundation
import GRDB
import SmartNationCore

/// ``LoginThrottleStore`` on the identity platform's SQLite database (`login_throttle`).
public struct SQLiteLoginThrottleStore: LoginThrottleStore {
    private let database: DatabasePool

    /// A store over the pool ``IdentityDatabase/open(in:)`` returned.
    public init(database: DatabasePool) {
        self.database = database
    }

    public func update<Answer: Sendable>(
        _ keys: [LoginThrottle.Key], _ change: @escaping @Sendable (inout [LoginThrottle.Key: LoginThrottle.Record]) -> Answer
    ) async throws(SmartNationError) -> Answer {
        do {
            return try await database.write { db in
                var records: [LoginThrottle.Key: LoginThrottle.Record] = [:]
                for key in keys {
                    let row = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT failures, locked_until, last_failure FROM login_throttle WHERE key = ?"),
                        arguments: [key.storageKey])
                    if let row {
                        records[key] = LoginThrottle.Record(
                            failures: row["failures"], lockedUntil: (row["locked_until"] as Double?).map(Date.init(timeIntervalSince1970:)),
                            lastFailure: Date(timeIntervalSince1970: row["last_failure"]))
                    }
                }
                let before = records
                let answer = change(&records)
                for key in Set(keys) where records[key] != before[key] {
                    if let record = records[key] {
                        try db.cachedStatement(sql: """
                            INSERT INTO login_throttle (key, failures, locked_until, last_failure) VALUES (?, ?, ?, ?)
                            ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
                                last_failure = excluded.last_failure
                            """).execute(arguments: [
                            key.storageKey, record.failures, record.lockedUntil?.timeIntervalSince1970, record.lastFailure.timeIntervalSince1970,
                        ])
                    } else {
                        try db.cachedStatement(sql: "DELETE FROM login_throttle WHERE key = ?").execute(arguments: [key.storageKey])
                    }
                }
                return answer
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func prune(lastFailureBefore cutoff: Date, now: Date, keeping limit: Int) async throws(SmartNationError) -> Int {
        do {
            return try await database.write { db in
                try db.execute(
                    sql: "DELETE FROM login_throttle WHERE last_failure < ? AND (locked_until IS NULL OR locked_until <= ?)",
                    arguments: [cutoff.timeIntervalSince1970, now.timeIntervalSince1970])
                var removed = db.changesCount
                let excess = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_throttle") ?? 0) - limit
                guard excess > 0 else { return removed }
                try db.execute(
                    sql: """
                        DELETE FROM login_throttle WHERE key IN (
                            SELECT key FROM login_throttle WHERE locked_until IS NULL OR locked_until <= ? ORDER BY last_failure LIMIT ?)
                        """,
                    arguments: [now.timeIntervalSince1970, excess])
                removed += db.changesCount
                return removed
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    public func count() async throws(SmartNationError) -> Int {
        do {
            return try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM login_throttle") ?? 0 }
        } catch {
            throw SmartNationError.storage(error)
        }
    }
}
