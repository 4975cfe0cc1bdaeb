import DequeModule
import GRDB
import Synchronization

/// Group commit: short write transactions from concurrent callers run together, several in one
/// SQLite transaction, so a commit's fixed cost and the pages it writes — above all the B-tree's
/// last pages, which every insert of a time-ordered key touches — are paid once per group rather
/// than once per caller.
///
/// It runs no thread or task of its own: a group runs on the thread of the caller whose turn it is
/// (the leader), through the writer's synchronous API, so a lone caller's transaction costs no
/// thread hand-off at all. A caller that finds no group running leads at once: it takes up to
/// ``groupSizeMax`` works — its own first, then those waiting, in arrival order — runs them in one
/// transaction, wakes their callers, and hands the turn to the first caller still waiting, who
/// leads the next group from its own thread when it resumes. A caller that finds a group running
/// waits for its work to be run or for its turn. Waking threads is dear on a virtual machine (an
/// interrupt between virtual CPUs each time): token requests made one at a time in the identity
/// benchmark cost 455–500 µs of CPU each this way, against 600–680 µs when every group ran on the
/// writer's queue and woke its caller from there.
///
/// The leader blocks its thread while the group runs, and while the writer finishes whatever other
/// write it is running: works must be short (a token request's is a few statements), and callers
/// should run where blocking for such a transaction is acceptable — the daemon's request handlers
/// run on `RequestExecutor`'s threads, not on Swift's cooperative pool, which has one thread per core.
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
    private let state = Mutex(State())

    /// The works waiting, and whether some caller has the turn. While one has, works wait: the
    /// caller with the turn takes them into its group or hands the turn to the first of them.
    private struct State: ~Copyable {
        var waiting = Deque<Work>()
        var leading = false
    }

    /// One caller's work, type-erased: `run` stores the work's value in the caller's box, `fail` a
    /// failure, and `wake` — absent for the leader's own work — resumes the caller.
    private struct Work: Sendable {
        let run: @Sendable (Database) throws -> Void
        let fail: @Sendable (any Error) -> Void
        var wake: CheckedContinuation<Turn, Never>?
    }

    /// Why a waiting caller is woken: its work has run, or it leads the next group.
    private enum Turn {
        case ran
        case lead
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
        let own = Work(
            run: { db in
                let value = try work(db)
                outcome.withLock { $0 = .success(value) }
            },
            fail: { error in outcome.withLock { $0 = .failure(error) } })
        if takeTurn(orQueue: nil) {
            lead(with: own)
        } else {
            let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
                var waiting = own
                waiting.wake = continuation
                if takeTurn(orQueue: waiting) { continuation.resume(returning: .lead) }
            }
            if turn == .lead { lead(with: own) }
        }
        guard let result = outcome.withLock({ $0 }) else {
            preconditionFailure("a group commit caller went on before its work ran")
        }
        return try result.get()
    }

    /// Takes the turn when no caller has it and returns `true`; otherwise queues `waiting`, if
    /// given, to be run or handed the turn, and returns `false`.
    private func takeTurn(orQueue waiting: Work?) -> Bool {
        state.withLock { state in
            guard !state.leading else {
                if let waiting { state.waiting.append(waiting) }
                return false
            }
            state.leading = true
            return true
        }
    }

    /// With the turn: runs `own` and the works waiting (up to ``groupSizeMax``) in one transaction
    /// on the calling thread, wakes their callers, then hands the turn to the first caller still
    /// waiting, or gives it up.
    private func lead(with own: Work) {
        let group = state.withLock { state in
            assert(state.leading, "only the caller with the turn leads a group")
            let count = min(state.waiting.count, groupSizeMax - 1)
            var group = [own]
            group.reserveCapacity(count + 1)
            group.append(contentsOf: state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return group
        }
        writer.writeWithoutTransaction { db in Self.commitIsolatingFailures(group, in: db) }
        for work in group.dropFirst() { work.wake?.resume(returning: .ran) }
        let next = state.withLock { state in
            let next = state.waiting.popFirst()
            if next == nil { state.leading = false }
            return next
        }
        next?.wake?.resume(returning: .lead)
    }

    /// Runs `group` in one transaction; if that fails, rolls it back and runs each work in a
    /// transaction of its own, failing only the works that fail alone.
    private static func commitIsolatingFailures(_ group: [Work], in db: Database) {
        do {
            try commit(group, in: db)
        } catch let error where group.count == 1 {
            group[0].fail(error)
        } catch {
            for work in group {
                do {
                    try commit(CollectionOfOne(work), in: db)
                } catch {
                    work.fail(error)
                }
            }
        }
    }

    /// Runs `works` in one transaction, in order, and commits it; rolls it back if one throws.
    private static func commit(_ works: some Collection<Work>, in db: Database) throws {
        try db.inTransaction {
            for work in works { try work.run(db) }
            return .commit
        }
    }
}
