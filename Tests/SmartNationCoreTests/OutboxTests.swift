import Foundation
import GRDB
import Logging
import Testing

@testable import SmartNationCore

/// A tiny platform: an account table and the outbox, in its own database file.
private func openPlatform(in directory: URL) throws -> DatabasePool {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("accounts") { db in
        try db.execute(sql: "CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)")
    }
    Outbox.registerMigration(in: &migrator)
    return try PlatformDatabase.open(named: "payments", in: directory, migrator: migrator)
}

private struct Midway: Error {}

@Suite("Transactional outbox")
struct OutboxTests {
    @Test("state and event are written together, or neither when the transaction throws midway")
    func atomicity() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try openPlatform(in: directory.url)
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO account VALUES ('A', 100)")
            try Outbox.enqueue(makeEvent(sequence: 1), in: db)
        }
        await #expect(throws: Midway.self) {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO account VALUES ('B', 5)")
                try Outbox.enqueue(makeEvent(sequence: 2), in: db)
                throw Midway()
            }
        }
        let tooLarge = CloudEvent(source: "/test", type: "t", data: .json(.string(String(repeating: "q", count: 300_000))))
        await #expect(throws: SmartNationError(.eventTooLarge)) {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO account VALUES ('C', 7)")
                try Outbox.enqueue(tooLarge, in: db)
            }
        }
        let (accounts, pending) = try await pool.read { db in
            (try String.fetchAll(db, sql: "SELECT id FROM account ORDER BY id"), try Outbox.pendingCount(in: db))
        }
        #expect(accounts == ["A"])
        #expect(pending == 1)
    }

    @Test("the relay moves each event to the log and the bus exactly once")
    func relayExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try openPlatform(in: directory.url)
        let log = try EventLog(dataDirectory: directory.url)
        let bus = EventBus()
        let live = try bus.subscribe(to: .all, name: "live", bufferCapacity: 2000)
        let relay = OutboxRelay(database: pool, outboxName: "payments", log: log, bus: bus, batchSize: 100, logger: Logger(label: "test"))
        try await pool.write { db in
            for sequence in 0..<250 { try Outbox.enqueue(makeEvent(sequence: sequence), in: db) }
        }
        #expect(try await relay.relayPending() == 250)
        #expect(try await relay.relayPending() == 0)
        #expect(try await log.read(after: 0, limit: 1000).map { sequenceNumber($0.event)! } == Array(0..<250))
        bus.shutdown()
        var delivered: [Int] = []
        for await event in live { delivered.append(sequenceNumber(event)!) }
        #expect(delivered == Array(0..<250))
        #expect(try await pool.read { try Outbox.pendingCount(in: $0) } == 0)
    }

    @Test("a crash after the append but before the outbox delete neither duplicates nor republishes")
    func crashAfterAppend() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pool = try openPlatform(in: directory.url)
        let events = (0..<5).map { makeEvent(sequence: $0) }
        try await pool.write { db in
            for event in events { try Outbox.enqueue(event, in: db) }
        }
        do {
            let logBeforeCrash = try EventLog(dataDirectory: directory.url)
            let firstRows = zip(Int64(1)...3, events.prefix(3)).map { (sequence: $0, event: $1) }
            try await logBeforeCrash.append(relayed: firstRows, from: "payments")
        }
        let log = try EventLog(dataDirectory: directory.url)
        let bus = EventBus()
        let live = try bus.subscribe(to: .all, name: "live")
        let relay = OutboxRelay(database: pool, outboxName: "payments", log: log, bus: bus, logger: Logger(label: "test"))
        #expect(try await relay.relayPending() == 5)
        #expect(try await log.read(after: 0).map { sequenceNumber($0.event)! } == [0, 1, 2, 3, 4])
        bus.shutdown()
        var delivered: [Int] = []
        for await event in live { delivered.append(sequenceNumber(event)!) }
        #expect(delivered == [3, 4], "only the events the log did not hold yet are published")
    }

    @Test("a crash before the relay runs loses nothing: the next relay moves the rows")
    func crashBeforeRelay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let pool = try openPlatform(in: directory.url)
            try await pool.write { db in try Outbox.enqueue(makeEvent(sequence: 7), in: db) }
        }
        let pool = try openPlatform(in: directory.url)
        let log = try EventLog(dataDirectory: directory.url)
        let relay = OutboxRelay(database: pool, outboxName: "payments", log: log, bus: EventBus(), logger: Logger(label: "test"))
        #expect(try await relay.relayPending() == 1)
        #expect(try await log.read(after: 0).map { sequenceNumber($0.event)! } == [7])
    }
}
