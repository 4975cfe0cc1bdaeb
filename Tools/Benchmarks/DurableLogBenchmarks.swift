import Foundation
import GRDB
import SmartNationCore

/// Appends to the durable ``EventLog`` in batches of 1 and 1000, against raw GRDB inserts of the same
/// envelope bytes into a one-column table with the same pragmas (WAL, synchronous NORMAL) and the same
/// transaction per batch. Events are made before the clock starts; the log's figure includes encoding
/// the envelopes, deduplication on `source` + `id` and the offsets, the baseline's does not.
struct DurableLogBenchmarks {
    let events: SampleEvents
    let batchedCount: Int
    let singleCount: Int

    func run(into table: inout ResultTable, repetitions: Int) async throws {
        for (batchSize, count) in [(1, singleCount), (1000, batchedCount)] {
            let batches = (0..<(count / batchSize)).map { batch in
                (0..<batchSize).map { events.unique(batch * batchSize + $0) }
            }
            let envelopes = batches.map { $0.map { Data(CloudEventCoding.encode($0)) } }
            let logRate = try await medianRate(count: count, repetitions: repetitions) {
                try await appendToLog(batches)
            }
            let rawRate = try await medianRate(count: count, repetitions: repetitions) {
                try await rawInsert(envelopes)
            }
            table.add(
                "durable append, batches of \(batchSize)", rate: logRate,
                baseline: "raw GRDB insert of the same bytes, batches of \(batchSize)", baselineRate: rawRate,
                target: batchSize == 1000 ? "≥ 200,000/s" : "—")
        }
    }

    /// Appends events made beforehand: the log's cost includes encoding each envelope.
    private func appendToLog(_ batches: [[CloudEvent]]) async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = try EventLog(dataDirectory: directory)
        for batch in batches { try await log.append(batch) }
    }

    /// Inserts envelopes encoded beforehand: the bare cost of storing the same bytes.
    private func rawInsert(_ batches: [[Data]]) async throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("raw") { db in
            try db.execute(sql: "CREATE TABLE raw (sequence INTEGER PRIMARY KEY, envelope BLOB NOT NULL)")
        }
        let pool = try PlatformDatabase.open(named: "raw", in: directory, migrator: migrator)
        for batch in batches {
            try await pool.write { db in
                let statement = try db.cachedStatement(sql: "INSERT INTO raw (envelope) VALUES (?)")
                for envelope in batch { try statement.execute(arguments: [envelope]) }
            }
        }
    }

    private func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
