import Foundation
import GRDB
import Synchronization

/// The durable event log: an append-only sequence of CloudEvents in its own SQLite file
/// (`events.sqlite`, WAL), with an offset per event and a committed offset per named subscriber.
///
/// - Exactly once from an outbox: ``append(relayed:from:now:)`` records, in the same transaction as the
///   events, how far it has taken each outbox; rows at or below that mark are skipped, so a relay
///   that crashed after appending never appends them twice. The ``OutboxRelay`` relies on this.
///   Plain ``append(_:now:)`` does not look for duplicates: the log keeps what it is given, and
///   consumers that need it deduplicate on `source` + `id`, as CloudEvents asks.
/// - Replay: a ``DurableSubscription`` starts after its subscriber's committed offset, so after a
///   restart it receives every event it had not committed.
/// - Retention: ``applyRetention(now:)`` removes the oldest events by age and by total size.
public final class EventLog: Sendable {
    /// The log's file name inside the data directory.
    public static let fileName = "events.sqlite"
    /// The most events one ``append(_:)`` takes.
    public static let maximumBatchCount = 10_000
    /// The most events one ``read(after:limit:matching:)`` returns.
    public static let maximumReadCount = 10_000
    /// The longest subscriber name.
    public static let maximumSubscriberNameLength = 128

    private struct Notifier {
        var lastOffset: Int64
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }

    private let pool: DatabasePool
    /// The retention policy ``applyRetention(now:)`` applies.
    public let retention: EventLogRetention
    private let notifier: Mutex<Notifier>

    /// Opens (creating when missing) the log in `dataDirectory`.
    public convenience init(dataDirectory: URL, retention: EventLogRetention = EventLogRetention()) throws(SmartNationError) {
        let pool = try PlatformDatabase.open(
            named: String(Self.fileName.dropLast(".sqlite".count)), in: dataDirectory, migrator: Self.migrator)
        try self.init(pool: pool, retention: retention)
    }

    init(pool: DatabasePool, retention: EventLogRetention) throws(SmartNationError) {
        self.pool = pool
        self.retention = retention
        let last: Int64
        do {
            last = try pool.read { db in
                try Self.lastOffset(in: db)
            }
        } catch {
            throw SmartNationError.storage(error)
        }
        notifier = Mutex(Notifier(lastOffset: last))
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: events and subscriber offsets") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        sequence INTEGER PRIMARY KEY,
                        type TEXT NOT NULL,
                        appended_at INTEGER NOT NULL,
                        envelope BLOB NOT NULL
                    );
                    CREATE TABLE log_state (
                        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                        last_offset INTEGER NOT NULL
                    );
                    INSERT INTO log_state (singleton, last_offset) VALUES (1, 0);
                    CREATE TABLE outbox_progress (
                        outbox TEXT PRIMARY KEY,
                        last_sequence INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE subscriber_offset (
                        subscriber TEXT PRIMARY KEY,
                        sequence INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    /// The offset of the newest event ever appended (0 for an empty log).
    public var lastOffset: Int64 {
        notifier.withLock { $0.lastOffset }
    }

    /// Appends one event; returns it with its offset.
    @discardableResult
    public func append(_ event: CloudEvent) async throws(SmartNationError) -> LoggedEvent {
        let appended = try await append([event])
        assert(appended.count == 1)
        return appended[0]
    }

    /// Appends events in one transaction, in order; returns them with their offsets.
    ///
    /// All or nothing: when one event is invalid or too large, nothing is appended.
    @discardableResult
    public func append(_ events: [CloudEvent], now: Date = Date()) async throws(SmartNationError) -> [LoggedEvent] {
        try await append(events, outboxSequences: nil, now: now)
    }

    /// Appends events taken from a platform's outbox, skipping those at or below the outbox's mark,
    /// and moves the mark to the last row given, in the same transaction.
    ///
    /// - Parameters:
    ///   - rows: the outbox rows' sequence numbers, increasing, with their events.
    ///   - outbox: the outbox's name, unique among the platforms (its database name).
    /// - Returns: the events actually added, with their offsets.
    @discardableResult
    public func append(
        relayed rows: [(sequence: Int64, event: CloudEvent)],
        from outbox: String,
        now: Date = Date()
    ) async throws(SmartNationError) -> [LoggedEvent] {
        precondition(zip(rows, rows.dropFirst()).allSatisfy { $0.sequence < $1.sequence }, "outbox rows come in order")
        try Self.validateSubscriberName(outbox)
        return try await append(rows.map(\.event), outboxSequences: (outbox, rows.map(\.sequence)), now: now)
    }

    /// How far the log has taken `outbox` (0 when never).
    public func relayedSequence(of outbox: String) async throws(SmartNationError) -> Int64 {
        do {
            return try await pool.read { db in try Self.relayedSequence(of: outbox, in: db) }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// The newest offset ever used: the newest row's, or the floor retention recorded before it
    /// removed the newest rows. Appends need no write besides their rows.
    private static func lastOffset(in db: Database) throws -> Int64 {
        try Int64.fetchOne(
            db, sql: "SELECT MAX(COALESCE((SELECT MAX(sequence) FROM event), 0), last_offset) FROM log_state") ?? 0
    }

    /// Records the newest offset before rows are removed, so that offsets are never reused.
    private static func recordOffsetFloor(in db: Database) throws {
        try db.execute(sql: "UPDATE log_state SET last_offset = ?", arguments: [try lastOffset(in: db)])
    }

    private static func relayedSequence(of outbox: String, in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT last_sequence FROM outbox_progress WHERE outbox = ?", arguments: [outbox]) ?? 0
    }

    private func append(
        _ events: [CloudEvent],
        outboxSequences: (outbox: String, sequences: [Int64])?,
        now: Date
    ) async throws(SmartNationError) -> [LoggedEvent] {
        guard events.count <= Self.maximumBatchCount else {
            throw SmartNationError(
                .eventBatchTooLarge,
                parameters: ["count": String(events.count), "maximum": String(Self.maximumBatchCount)],
                httpStatus: 413
            )
        }
        guard !events.isEmpty else { return [] }
        let encoded = try await Self.encodeForStorage(events)
        let appendedAt = EventTimestamp.microseconds(of: now)
        let appended: [LoggedEvent]
        do {
            appended = try await pool.write { db in
                var mark: Int64 = 0
                if let outboxSequences {
                    mark = try Self.relayedSequence(of: outboxSequences.outbox, in: db)
                }
                var offset = try Self.lastOffset(in: db)
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO event (sequence, type, appended_at, envelope) VALUES (?, ?, ?, ?)")
                var added: [LoggedEvent] = []
                added.reserveCapacity(events.count)
                for index in events.indices where outboxSequences.map({ $0.sequences[index] > mark }) ?? true {
                    offset += 1
                    let event = events[index]
                    try RawInsert.execute(
                        statement, in: db, sequence: offset, type: event.type,
                        appendedAt: appendedAt, envelope: encoded[index])
                    added.append(LoggedEvent(offset: offset, event: event))
                }
                if let outboxSequences, let last = outboxSequences.sequences.last, last > mark {
                    try db.execute(
                        sql: """
                            INSERT INTO outbox_progress (outbox, last_sequence) VALUES (?, ?)
                            ON CONFLICT (outbox) DO UPDATE SET last_sequence = excluded.last_sequence
                            """,
                        arguments: [outboxSequences.outbox, last])
                }
                return added
            }
        } catch {
            throw SmartNationError.storage(error)
        }
        if let newest = appended.last?.offset {
            announce(newest)
        }
        return appended
    }

    /// Encodes and checks every envelope of a batch; large batches are split over two tasks so both
    /// cores work while the single writer waits.
    private static func encodeForStorage(_ events: [CloudEvent]) async throws(SmartNationError) -> [[UInt8]] {
        func encode(_ slice: ArraySlice<CloudEvent>) throws(SmartNationError) -> [[UInt8]] {
            try slice.map { event throws(SmartNationError) in try CloudEventCoding.encodeForStorage(event) }
        }
        guard events.count >= parallelEncodingThreshold else { return try encode(events[...]) }
        let middle = events.count / 2
        async let firstHalf = Result { () throws(SmartNationError) in try encode(events[..<middle]) }
        let secondHalf = Result { () throws(SmartNationError) in try encode(events[middle...]) }
        return try await firstHalf.get() + secondHalf.get()
    }

    /// The batch size from which envelopes are encoded on two tasks.
    static let parallelEncodingThreshold = 256

    /// Up to `limit` events after `offset`, oldest first, whose type matches `pattern`.
    public func read(
        after offset: Int64,
        limit: Int = 1000,
        matching pattern: EventPattern = .all
    ) async throws(SmartNationError) -> [LoggedEvent] {
        guard offset >= 0 else {
            throw SmartNationError(.eventOffsetInvalid, parameters: ["offset": String(offset)])
        }
        let limit = min(max(limit, 1), Self.maximumReadCount)
        let rows: [(Int64, Data)]
        do {
            rows = try await pool.read { db in
                var rows: [(Int64, Data)] = []
                var cursorOffset = offset
                while rows.count < limit {
                    let page = try Row.fetchAll(
                        db, sql: "SELECT sequence, type, envelope FROM event WHERE sequence > ? ORDER BY sequence LIMIT ?",
                        arguments: [cursorOffset, limit])
                    guard let last = page.last else { break }
                    cursorOffset = last["sequence"]
                    for row in page where rows.count < limit && pattern.matches(row["type"]) {
                        rows.append((row["sequence"], row["envelope"]))
                    }
                }
                return rows
            }
        } catch {
            throw SmartNationError.storage(error)
        }
        return try rows.map { row throws(SmartNationError) in
            LoggedEvent(offset: row.0, event: try CloudEventCoding.decode(row.1))
        }
    }

    /// The offset `subscriber` last committed (0 when it never did).
    public func committedOffset(for subscriber: String) async throws(SmartNationError) -> Int64 {
        try Self.validateSubscriberName(subscriber)
        do {
            return try await pool.read { db in
                try Int64.fetchOne(
                    db, sql: "SELECT sequence FROM subscriber_offset WHERE subscriber = ?", arguments: [subscriber]) ?? 0
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// Records that `subscriber` has handled every event up to and including `offset`.
    ///
    /// Offsets only move forward: committing an older offset than the stored one changes nothing.
    public func commit(_ offset: Int64, for subscriber: String, now: Date = Date()) async throws(SmartNationError) {
        try Self.validateSubscriberName(subscriber)
        guard offset >= 0, offset <= lastOffset else {
            throw SmartNationError(
                .eventOffsetInvalid, parameters: ["offset": String(offset), "last": String(lastOffset)])
        }
        let updatedAt = EventTimestamp.microseconds(of: now)
        do {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO subscriber_offset (subscriber, sequence, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (subscriber) DO UPDATE SET sequence = excluded.sequence, updated_at = excluded.updated_at
                        WHERE excluded.sequence > subscriber_offset.sequence
                        """,
                    arguments: [subscriber, offset, updatedAt])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// Every subscriber's committed offset, for operators and metrics.
    public func committedOffsets() async throws(SmartNationError) -> [String: Int64] {
        do {
            return try await pool.read { db in
                var offsets: [String: Int64] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT subscriber, sequence FROM subscriber_offset") {
                    offsets[row["subscriber"]] = row["sequence"]
                }
                return offsets
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// A subscription that replays from `subscriber`'s committed offset and then follows new appends.
    public func subscribe(
        subscriber: String,
        matching pattern: EventPattern = .all,
        batchSize: Int = 256
    ) async throws(SmartNationError) -> DurableSubscription {
        let start = try await committedOffset(for: subscriber)
        return DurableSubscription(log: self, subscriber: subscriber, pattern: pattern, start: start, batchSize: batchSize)
    }

    /// Removes the oldest events beyond the retention policy.
    @discardableResult
    public func applyRetention(now: Date = Date()) async throws(SmartNationError) -> EventLogRetentionReport {
        let retention = retention
        do {
            return try await pool.write { db in
                var report = EventLogRetentionReport(removedByAge: 0, removedBySize: 0)
                try Self.recordOffsetFloor(in: db)
                if let maximumAge = retention.maximumAge {
                    let ageMicroseconds = maximumAge.components.seconds * 1_000_000
                        + maximumAge.components.attoseconds / 1_000_000_000_000
                    let cutoff = EventTimestamp.microseconds(of: now) - ageMicroseconds
                    try db.execute(sql: "DELETE FROM event WHERE appended_at < ?", arguments: [cutoff])
                    report.removedByAge = db.changesCount
                }
                if let maximumByteCount = retention.maximumByteCount {
                    report.removedBySize = try Self.trim(db, toByteCount: maximumByteCount)
                }
                return report
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// Deletes the oldest events until the stored envelopes take at most `maximumByteCount` bytes.
    private static func trim(_ db: Database, toByteCount maximumByteCount: Int) throws -> Int {
        let total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(length(envelope)), 0) FROM event") ?? 0
        var excess = total - maximumByteCount
        guard excess > 0 else { return 0 }
        var cutoff: Int64 = 0
        let rows = try Row.fetchCursor(db, sql: "SELECT sequence, length(envelope) AS size FROM event ORDER BY sequence")
        while excess > 0, let row = try rows.next() {
            cutoff = row["sequence"]
            excess -= row["size"] as Int
        }
        try db.execute(sql: "DELETE FROM event WHERE sequence <= ?", arguments: [cutoff])
        return db.changesCount
    }

    /// The number of events held now and the bytes their envelopes take.
    public func size() async throws(SmartNationError) -> (eventCount: Int, byteCount: Int) {
        do {
            return try await pool.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(length(envelope)), 0) FROM event")!
                return (row[0], row[1])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// Checks the database answers; used by readiness.
    public func checkReadable() async throws(SmartNationError) {
        do {
            _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        } catch {
            throw SmartNationError.storage(error)
        }
    }

    /// Suspends until an event with an offset greater than `offset` has been appended through this log.
    func waitForAppend(after offset: Int64) async {
        let id = notifier.withLock { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = notifier.withLock { state -> Bool in
                    if state.lastOffset > offset || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            notifier.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func announce(_ offset: Int64) {
        let waiters = notifier.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.lastOffset = max(state.lastOffset, offset)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    private static func validateSubscriberName(_ name: String) throws(SmartNationError) {
        guard !name.isEmpty, name.utf8.count <= maximumSubscriberNameLength else {
            throw SmartNationError(
                .subscriberNameInvalid,
                parameters: ["maximum": String(maximumSubscriberNameLength)]
            )
        }
    }
}
