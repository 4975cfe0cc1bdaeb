import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing

@testable import SmartNationCore

private struct Refused: Error, Equatable {
    let index: Int
}

/// What `body` returned or threw.
private func outcome(of body: () async throws -> Int) async -> Result<Int, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// Counts the transactions that commit an insert into `entry`.
private final class CommitCounter: TransactionObserver, Sendable {
    let commits = Mutex(0)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "entry" }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}

/// A database with one table, a group commit over it, and a first work that holds the writer until
/// released, so the works submitted meanwhile wait together. The first work leads its group on its
/// caller's thread, so holding it blocks a thread of Swift's cooperative pool (one per core); the
/// suite runs its tests one at a time so that it never blocks more than one.
private struct Fixture {
    let directory: TemporaryDirectory
    let pool: DatabasePool
    let groupCommit: GroupCommit
    let counter = CommitCounter()

    init(groupSizeMax: Int) throws {
        directory = try TemporaryDirectory()
        var migrator = DatabaseMigrator()
        migrator.registerMigration("entries") { db in
            try db.execute(sql: "CREATE TABLE entry (n INTEGER PRIMARY KEY, seen_before INTEGER NOT NULL)")
        }
        pool = try PlatformDatabase.open(named: "grouped", in: directory.url, migrator: migrator)
        groupCommit = GroupCommit(writer: pool, groupSizeMax: groupSizeMax)
        pool.add(transactionObserver: counter)
    }

    /// Inserts `n` and returns how many entries it saw before its own.
    static func insert(_ n: Int, in db: Database) throws -> Int {
        let seen = try Int.fetchOne(db, sql: "SELECT count(*) FROM entry") ?? 0
        try db.execute(sql: "INSERT INTO entry (n, seen_before) VALUES (?, ?)", arguments: [n, seen])
        return seen
    }

    /// Runs `submit` for each of `count` works while the writer is held by a first work, then
    /// releases it; returns each work's outcome in submission order.
    func whileWriterHeld(count: Int, _ submit: @escaping @Sendable (Int) async -> Result<Int, any Error>) async throws -> [Result<Int, any Error>] {
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let groupCommit = groupCommit
        return try await withThrowingTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
            group.addTask {
                let seen = try await groupCommit.write { db in
                    holding.signal()
                    release.wait()
                    return try Self.insert(0, in: db)
                }
                return (-1, .success(seen))
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    holding.wait()
                    continuation.resume()
                }
            }
            for index in 0..<count {
                group.addTask { (index, await submit(index)) }
            }
            try await Task.sleep(for: .milliseconds(300))
            release.signal()
            var outcomes = [Result<Int, any Error>?](repeating: nil, count: count)
            for try await (index, outcome) in group where index >= 0 {
                outcomes[index] = outcome
            }
            return outcomes.map { $0! }
        }
    }

    func remove() { directory.remove() }
}

@Suite("Group commit: concurrent write transactions committed together", .serialized)
struct GroupCommitTests {
    @Test("works waiting together commit in shared transactions of at most groupSizeMax, in order, each seeing the ones before it")
    func grouped() async throws {
        let fixture = try Fixture(groupSizeMax: 8)
        defer { fixture.remove() }
        let groupCommit = fixture.groupCommit
        let outcomes = try await fixture.whileWriterHeld(count: 40) { index in
            await outcome { try await groupCommit.write { db in try Fixture.insert(index + 1, in: db) } }
        }
        let seen = try outcomes.map { try $0.get() }
        #expect(Set(seen) == Set(1...40), "each work saw every work committed or run before it in its group")
        let rows = try await fixture.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM entry") }
        #expect(rows == 41)
        let commits = fixture.counter.commits.withLock { $0 }
        #expect(commits >= 1 + 5, "no transaction runs more than 8 works")
        #expect(commits < 41, "works waiting at the same time share transactions")
    }

    @Test("a work that throws fails only its own caller: its group is rolled back and the others run again and commit")
    func failureIsolated() async throws {
        let fixture = try Fixture(groupSizeMax: 64)
        defer { fixture.remove() }
        let groupCommit = fixture.groupCommit
        let outcomes = try await fixture.whileWriterHeld(count: 10) { index in
            await outcome {
                try await groupCommit.write { db in
                    let seen = try Fixture.insert(index + 1, in: db)
                    if index == 4 { throw Refused(index: index) }
                    return seen
                }
            }
        }
        for (index, outcome) in outcomes.enumerated() {
            if index == 4 {
                #expect(throws: Refused(index: 4)) { try outcome.get() }
            } else {
                #expect(throws: Never.self) { try outcome.get() }
            }
        }
        let stored = try await fixture.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM entry ORDER BY n") }
        #expect(stored == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10], "the failed work left nothing; the rest of its group committed")
    }

    @Test("callers arriving at random moments, many at once: every work runs exactly once and every caller returns")
    func manyCallers() async throws {
        let fixture = try Fixture(groupSizeMax: 8)
        defer { fixture.remove() }
        let groupCommit = fixture.groupCommit
        let callers = 400
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<callers {
                group.addTask {
                    if index % 3 == 0 { await Task.yield() }
                    _ = try await groupCommit.write { db in try Fixture.insert(index + 1, in: db) }
                }
            }
            try await group.waitForAll()
        }
        let stored = try await fixture.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM entry ORDER BY n") }
        #expect(stored == Array(1...callers))
        #expect(fixture.counter.commits.withLock { $0 } <= callers)
    }

    @Test("an idle writer runs a lone work at once, and a lone failing work fails once")
    func lone() async throws {
        let fixture = try Fixture(groupSizeMax: 64)
        defer { fixture.remove() }
        #expect(try await fixture.groupCommit.write { db in try Fixture.insert(1, in: db) } == 0)
        let runs = Mutex(0)
        await #expect(throws: Refused(index: 2)) {
            try await fixture.groupCommit.write { db -> Int in
                runs.withLock { $0 += 1 }
                _ = try Fixture.insert(2, in: db)
                throw Refused(index: 2)
            }
        }
        #expect(runs.withLock { $0 } == 1)
        #expect(try await fixture.pool.read { db in try Int.fetchAll(db, sql: "SELECT n FROM entry") } == [1])
        #expect(fixture.counter.commits.withLock { $0 } == 1)
    }
}
