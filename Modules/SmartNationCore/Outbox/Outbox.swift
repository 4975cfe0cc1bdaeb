import Foundation
import GRDB

/// The transactional outbox: a platform writes its state change and the event announcing it in the
/// same SQLite transaction of its own database, so both happen or neither does. The ``OutboxRelay``
/// later moves the event to the durable ``EventLog`` and the ``EventBus``.
///
/// ```swift
/// var migrator = DatabaseMigrator()
/// Outbox.registerMigration(in: &migrator)
/// try await pool.write { db in
///     try transfer.insert(db)
///     try Outbox.enqueue(CloudEvent(TransferSettled(…), source: "/smartnation/payments"), in: db)
/// }
/// ```
public enum Outbox {
    /// The table the outbox keeps in the platform's database.
    public static let tableName = "outbox_event"

    /// Adds the outbox table to a platform's migrator. Register it once, with the platform's own migrations.
    public static func registerMigration(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("smartnation outbox v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE \(tableName) (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        envelope BLOB NOT NULL
                    )
                    """)
        }
    }

    /// Stages `event` in the caller's open transaction. Throws, so the transaction rolls back, when the
    /// event is malformed or too large.
    public static func enqueue(_ event: CloudEvent, in db: Database) throws {
        let envelope = try CloudEventCoding.encodeForStorage(event)
        precondition(db.isInsideTransaction, "an outbox event is written inside the state change's transaction")
        try db.execute(sql: "INSERT INTO \(tableName) (envelope) VALUES (?)", arguments: [Data(envelope)])
    }

    /// The oldest `limit` events waiting in the outbox, in the order they were staged, each with its
    /// sequence.
    public static func pending(limit: Int, in db: Database) throws -> [(sequence: Int64, event: CloudEvent)] {
        precondition(limit > 0, "a read of the outbox takes at least one event")
        return try Row.fetchAll(db, sql: "SELECT sequence, envelope FROM \(tableName) ORDER BY sequence LIMIT ?", arguments: [limit])
            .map { row in (sequence: row["sequence"], event: try CloudEventCoding.decode(row["envelope"] as Data)) }
    }

    /// How many events wait in the outbox.
    public static func pendingCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(tableName)") ?? 0
    }
}
