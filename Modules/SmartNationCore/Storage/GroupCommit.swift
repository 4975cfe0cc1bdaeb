import GRDB
import Synchronization

/// Group commit: short write transactions from concurrent callers run together, several in one
/// SQLite transaction, so a commit's fixed cost and the pages it writes — above all the B-tree's
/// last pages, which every insert of a time-ordered key touches — are paid once per group rather
/// than once per caller.
///
/// It runs no task of its own. The first caller to find the writer idle leads: it takes up to
/// ``groupSizeMax`` waiting works (its own first), runs them in one transaction in the order they
/// arrived, hands every other caller its result and passes the lead to the first caller still
/// waiting. An idle writer adds no latency; under load a group forms from what arrived while the
/// last one committed. Each waiting caller holds one place in the queue, so the queue is as long
/// as the callers are many (the daemon admits a bounded number of requests at once).
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

    private struct State {
        var waiting: [Work] = []
        var leading = false
    }

    /// What a caller is told when it wakes: its work has run (its result is in its box), or it
    /// leads the next group.
    private enum Wake: Sendable {
        case finished
        case lead
    }

    /// One caller's work, type-erased: `run` stores the work's value in the caller's box, `fail` a
    /// failure, and `wake` resumes the caller.
    private struct Work: Sendable {
        let run: @Sendable (Database) throws -> Void
        let fail: @Sendable (any Error) -> Void
        let wake: CheckedContinuation<Wake, Never>
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
        let wake = await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
            let entry = Work(
                run: { db in
                    let value = try work(db)
                    outcome.withLock { $0 = .success(value) }
                },
                fail: { error in outcome.withLock { $0 = .failure(error) } },
                wake: continuation)
            let leads = state.withLock { state in
                state.waiting.append(entry)
                guard !state.leading else { return false }
                state.leading = true
                return true
            }
            if leads { continuation.resume(returning: .lead) }
        }
        if wake == .lead { await leadGroup() }
        guard let result = outcome.withLock({ $0 }) else {
            preconditionFailure("a group commit caller woke before its work ran")
        }
        return try result.get()
    }

    /// Runs the next group — the leader's own work first — then wakes its callers and hands the
    /// lead to the first caller still waiting, or gives it up.
    private func leadGroup() async {
        let group = state.withLock { state in
            let group = Array(state.waiting.prefix(groupSizeMax))
            state.waiting.removeFirst(group.count)
            return group
        }
        assert(!group.isEmpty, "a leader leads a group holding its own work")
        do {
            try await writer.write { db in
                for work in group { try work.run(db) }
            }
        } catch let error where group.count == 1 {
            group[0].fail(error)
        } catch {
            for work in group {
                do {
                    try await writer.write { db in try work.run(db) }
                } catch {
                    work.fail(error)
                }
            }
        }
        let next = state.withLock { state -> Work? in
            guard let next = state.waiting.first else {
                state.leading = false
                return nil
            }
            return next
        }
        next?.wake.resume(returning: .lead)
        for work in group.dropFirst() { work.wake.resume(returning: .finished) }
    }
}
