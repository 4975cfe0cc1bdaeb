import Foundation
import GRDB
import Logging
import Synchronization

/// Moves events from a platform's outbox to the durable ``EventLog`` and then the ``EventBus``,
/// each event exactly once.
///
/// One batch is: read the oldest outbox rows; append them to the log, which in the same transaction
/// records the highest outbox sequence it has taken and skips rows at or below it; publish on the bus
/// only the events the log really added; delete the rows. The crash cases:
/// - before the append: the rows are still in the outbox and the next pass appends them;
/// - after the append, before the delete: the next pass finds the rows below the log's mark for this
///   outbox, so they are neither appended nor published again, and the rows are deleted;
/// - after the delete: nothing is left to do.
///
/// Outbox sequences only grow (`AUTOINCREMENT`), so the mark never hides a new row.
///
/// In every case each event is in the log once, and durable subscribers (who read the log) see it
/// once. Live bus subscribers are in-memory: those of a process that crashed are gone with it.
/// Run one relay per platform database.
public final class OutboxRelay: Sendable {
    /// The most outbox rows moved in one batch.
    public let batchSize: Int
    /// The outbox's name in the log's marks: the platform's database name.
    public let outboxName: String
    private let database: DatabasePool
    private let log: EventLog
    private let bus: EventBus
    private let logger: Logger
    private let wakeUps: AsyncStream<Void>
    private let wakeUpContinuation: AsyncStream<Void>.Continuation

    /// Creates a relay for one platform database.
    ///
    /// - Parameter outboxName: names this outbox in the log; use the platform's database name
    ///   (`payments`). Two relays must never share a name.
    public init(database: DatabasePool, outboxName: String, log: EventLog, bus: EventBus, batchSize: Int = 500, logger: Logger) {
        precondition(batchSize > 0 && batchSize <= EventLog.maximumBatchCount)
        precondition(!outboxName.isEmpty, "an outbox has a name")
        self.outboxName = outboxName
        self.database = database
        self.log = log
        self.bus = bus
        self.batchSize = batchSize
        self.logger = logger
        (wakeUps, wakeUpContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks a running relay to look at the outbox now rather than at its next poll.
    public func nudge() {
        wakeUpContinuation.yield()
    }

    /// Moves every pending event; returns how many rows it took from the outbox.
    @discardableResult
    public func relayPending() async throws(SmartNationError) -> Int {
        var moved = 0
        while true {
            let count = try await relayBatch()
            moved += count
            if count < batchSize { return moved }
        }
    }

    /// Moves at most one batch; returns how many rows it took from the outbox.
    public func relayBatch() async throws(SmartNationError) -> Int {
        let relayed: [(sequence: Int64, event: CloudEvent)]
        do {
            relayed = try await database.read { [batchSize] db in try Outbox.pending(limit: batchSize, in: db) }
        } catch {
            throw SmartNationError.storage(error)
        }
        guard let lastSequence = relayed.last?.sequence else { return 0 }
        let appended = try await log.append(relayed: relayed, from: outboxName)
        try await bus.publish(appended.map(\.event))
        do {
            try await database.write { db in
                try db.execute(sql: "DELETE FROM \(Outbox.tableName) WHERE sequence <= ?", arguments: [lastSequence])
            }
        } catch {
            throw SmartNationError.storage(error)
        }
        if appended.count < relayed.count {
            logger.info(
                "outbox events already in the log were not published again",
                metadata: ["outbox": "\(outboxName)", "skipped": "\(relayed.count - appended.count)"])
        }
        return relayed.count
    }

    /// Relays until the task is cancelled: on every ``nudge()`` and at least every `pollInterval`.
    /// A failed pass is logged and retried at the next wake-up.
    public func run(pollInterval: Duration = .milliseconds(500)) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [wakeUpContinuation] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: pollInterval)
                    wakeUpContinuation.yield()
                }
            }
            for await _ in wakeUps {
                if Task.isCancelled { break }
                do {
                    try await relayPending()
                } catch {
                    logger.warning("outbox relay pass failed", metadata: ["error": "\(error)"])
                }
            }
            group.cancelAll()
        }
    }
}
