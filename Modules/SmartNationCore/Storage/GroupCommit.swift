import GRDB
import Synchronization

/// Group commit: short write transactions from concurrent callers run together, several in one
/// SQLite transaction, so a commit's fixed cost and the pages it writes — above all the B-tree's
/// last pages, which every insert of a time-ordered key touches — are paid once per group rather
/// than once per caller.
///
/// It runs no task of its own: groups run on the writer's own serial queue, where GRDB runs every
/// write. The first caller to find no group queued schedules one; that group takes up to
/// ``groupSizeMax`` waiting works, runs them in one transaction in the order they arrived, wakes
/// their callers and, while callers are still waiting, schedules the next group behind whatever
/// other writes queued meanwhile. The writer's thread thus goes from group to group without the
/// callers' tasks taking turns on the cooperative pool, and without blocking it. An idle writer
/// adds no latency; under load a group forms from what arrived while the last one committed.
/// Each waiting caller holds one place in the queue, so the queue is as long as the callers are
/// many (the daemon admits a bounded number of requests at once).
///
/// A work sees the changes of the works before it in its group, as it would have seen them
/// committed. When a group's transaction fails — a work throws, or the commit does — it is rolled
/// back and each of its works runs again in a transaction of its own, so one caller's failure is
/// never another's. A work may therefore run twice: it must only read and write through the
/// `Database` it is given and return a value.
public final class GroupCommit: Sendable {
    /// The most works one transaction runs.
    public let groupSizeMax: Int
    private let writer: any DatabaseWriter
    /// The works waiting for a group, in arrival order. A group is queued on the writer exactly
    /// while this is not empty.
    private let waiting = Mutex<[Work]>([])

    /// One caller's work, type-erased: `run` stores the work's value in the caller's box, `fail` a
    /// failure, and `wake` resumes the caller.
    private struct Work: Sendable {
        let run: @Sendable (Database) throws -> Void
        let fail: @Sendable (any Error) -> Void
        let wake: CheckedContinuation<Void, Never>
    }

    /// Group commit over `writer`, at most `groupSizeMax` works per transaction.
    public init(writer: any DatabaseWriter, groupSizeMax: Int = 64) {
        precondition(groupSizeMax > 0, "a group holds at least one work")
        self.writer = writer
        self.groupSizeMax = groupSizeMax
    }

    /// Runs `work` in a write transaction, shared with other callers' works when they wait at the
    /// same time, and returns its value once that transaction has committed. Rethrows what `work`
    /// throws, or the storage error that stopped its own transaction.
    public func write<Value: Sendable>(_ work: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let outcome = Mutex<Result<Value, any Error>?>(nil)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let entry = Work(
                run: { db in
                    let value = try work(db)
                    outcome.withLock { $0 = .success(value) }
                },
                fail: { error in outcome.withLock { $0 = .failure(error) } },
                wake: continuation)
            let schedules = waiting.withLock { waiting in
                waiting.append(entry)
                return waiting.count == 1
            }
            if schedules { scheduleGroup() }
        }
        guard let result = outcome.withLock({ $0 }) else {
            preconditionFailure("a group commit caller woke before its work ran")
        }
        return try result.get()
    }

    /// Queues the next group on the writer's serial queue, behind the writes already queued there.
    private func scheduleGroup() {
        writer.asyncWriteWithoutTransaction { db in self.runGroup(db) }
    }

    /// Runs the next group on the writer's queue, wakes its callers, and schedules the next group
    /// while callers still wait.
    private func runGroup(_ db: Database) {
        let (group, more) = waiting.withLock { waiting in
            let group = Array(waiting.prefix(groupSizeMax))
            waiting.removeFirst(group.count)
            return (group, !waiting.isEmpty)
        }
        assert(!group.isEmpty, "a group is scheduled only while a caller waits")
        if more { scheduleGroup() }
        do {
            try Self.commit(group, in: db)
        } catch let error where group.count == 1 {
            group[0].fail(error)
        } catch {
            for work in group {
                do {
                    try Self.commit(CollectionOfOne(work), in: db)
                } catch {
                    work.fail(error)
                }
            }
        }
        for work in group { work.wake.resume() }
    }

    /// Runs `works` in one transaction, in order, and commits it; rolls it back if one throws.
    private static func commit(_ works: some Collection<Work>, in db: Database) throws {
        try db.inTransaction {
            for work in works { try work.run(db) }
            return .commit
        }
    }
}
