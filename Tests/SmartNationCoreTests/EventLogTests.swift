import Foundation
import GRDB
import Testing

@testable import SmartNationCore

@Suite("Durable event log")
struct EventLogTests {
    @Test("appends get increasing offsets and read back in order, filtered by pattern")
    func appendAndRead() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url)
        let single = try await log.append(makeEvent(sequence: 0))
        #expect(single.offset == 1)
        let batch = try await log.append((1..<1001).map { makeEvent($0 % 2 == 0 ? "a.even.x.y" : "a.odd.x.y", sequence: $0) })
        #expect(batch.map(\.offset) == Array(2...1001))
        #expect(log.lastOffset == 1001)
        let all = try await log.read(after: 0, limit: 5000)
        #expect(all.map { sequenceNumber($0.event)! } == Array(0...1000))
        let even = try await log.read(after: 0, limit: 10, matching: EventPattern("a.even.*"))
        #expect(even.map { sequenceNumber($0.event)! } == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("events.sqlite-wal").path))
    }

    @Test("relayed outbox rows at or below the outbox's mark are skipped; other outboxes keep their own marks")
    func outboxMarks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url)
        let rows = (1...4).map { (sequence: Int64($0), event: makeEvent(sequence: $0)) }
        #expect(try await log.append(relayed: Array(rows.prefix(2)), from: "payments").map(\.offset) == [1, 2])
        #expect(try await log.relayedSequence(of: "payments") == 2)
        let again = try await log.append(relayed: rows, from: "payments")
        #expect(again.map { sequenceNumber($0.event)! } == [3, 4], "rows 1 and 2 were already taken")
        #expect(again.map(\.offset) == [3, 4])
        #expect(try await log.append(relayed: rows, from: "payments").isEmpty)
        #expect(try await log.append(relayed: Array(rows.prefix(1)), from: "identity").count == 1)
        #expect(try await log.relayedSequence(of: "identity") == 1)
        #expect(try await log.size().eventCount == 5)
    }

    @Test("a batch with one bad event, or too many events, appends nothing")
    func allOrNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url)
        var bad = makeEvent(sequence: 2)
        bad.id = ""
        await #expect(throws: SmartNationError(.eventMalformed)) { try await log.append([makeEvent(sequence: 1), bad]) }
        let huge = CloudEvent(source: "/s", type: "t", data: .json(.string(String(repeating: "z", count: 300_000))))
        await #expect(throws: SmartNationError(.eventTooLarge)) { try await log.append([makeEvent(sequence: 1), huge]) }
        let badExtension = CloudEvent(source: "/s", type: "t", extensions: ["Not-Valid": .string("x")])
        await #expect(throws: SmartNationError(.eventMalformed)) { try await log.append([makeEvent(sequence: 1), badExtension]) }
        let badSource = CloudEvent(source: "has space", type: "t")
        await #expect(throws: SmartNationError(.eventMalformed)) { try await log.append(badSource) }
        let tooMany = (0...EventLog.maximumBatchCount).map { makeEvent(sequence: $0) }
        await #expect(throws: SmartNationError(.eventBatchTooLarge)) { try await log.append(tooMany) }
        #expect(try await log.size().eventCount == 0)
        #expect(log.lastOffset == 0)
    }

    @Test("a durable subscriber replays what it had not committed after a restart")
    func replayAfterRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let log = try EventLog(dataDirectory: directory.url)
            try await log.append((0..<10).map { makeEvent(sequence: $0) })
            let subscription = try await log.subscribe(subscriber: "auditor")
            var iterator = subscription.makeAsyncIterator()
            for _ in 0..<4 {
                let logged = try #require(try await iterator.next())
                try await subscription.commit(logged)
            }
            _ = try await iterator.next()
        }
        let reopened = try EventLog(dataDirectory: directory.url)
        #expect(reopened.lastOffset == 10)
        #expect(try await reopened.committedOffset(for: "auditor") == 4)
        let subscription = try await reopened.subscribe(subscriber: "auditor")
        var iterator = subscription.makeAsyncIterator()
        var replayed: [Int] = []
        for _ in 0..<6 { replayed.append(sequenceNumber(try #require(try await iterator.next()).event)!) }
        #expect(replayed == Array(4..<10))
        let appended = try await reopened.append(makeEvent(sequence: 10))
        #expect(appended.offset == 11)
        #expect(try await iterator.next()?.offset == 11, "a live subscriber follows new appends")
    }

    @Test("commits only move forward and must name a real offset")
    func commits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url)
        try await log.append((0..<5).map { makeEvent(sequence: $0) })
        try await log.commit(4, for: "s")
        try await log.commit(2, for: "s")
        #expect(try await log.committedOffset(for: "s") == 4)
        await #expect(throws: SmartNationError(.eventOffsetInvalid)) { try await log.commit(6, for: "s") }
        await #expect(throws: SmartNationError(.subscriberNameInvalid)) { try await log.commit(1, for: "") }
        await #expect(throws: SmartNationError(.eventOffsetInvalid)) { try await log.read(after: -1) }
        #expect(try await log.committedOffsets() == ["s": 4])
    }

    @Test("retention removes events older than the age limit")
    func retentionByAge() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url, retention: .init(maximumAge: .seconds(3600), maximumByteCount: nil))
        let now = Date()
        try await log.append((0..<3).map { makeEvent(sequence: $0) }, now: now.addingTimeInterval(-7200))
        try await log.append((3..<5).map { makeEvent(sequence: $0) }, now: now)
        let report = try await log.applyRetention(now: now)
        #expect(report.removedByAge == 3)
        #expect(try await log.read(after: 0).map(\.offset) == [4, 5])
    }

    @Test("retention removes the oldest events until the log fits its size limit, and offsets are never reused")
    func retentionBySize() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(dataDirectory: directory.url, retention: .init(maximumAge: nil, maximumByteCount: 10_000))
        try await log.append((0..<100).map { makeEvent(sequence: $0) })
        let report = try await log.applyRetention()
        #expect(report.removedBySize > 0)
        let size = try await log.size()
        #expect(size.byteCount <= 10_000)
        #expect(size.eventCount == 100 - report.removedBySize)
        try await log.applyRetention()
        let next = try await log.append(makeEvent(sequence: 100))
        #expect(next.offset == 101)
    }

    @Test("offsets are never reused, even after retention empties the log and it is reopened")
    func offsetsNeverReused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let log = try EventLog(dataDirectory: directory.url, retention: .init(maximumAge: nil, maximumByteCount: 1))
            try await log.append((0..<5).map { makeEvent(sequence: $0) })
            try await log.applyRetention()
            #expect(try await log.size().eventCount == 0)
        }
        let reopened = try EventLog(dataDirectory: directory.url)
        #expect(try await reopened.append(makeEvent(sequence: 5)).offset == 6)
    }
}
