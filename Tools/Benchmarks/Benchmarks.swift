import ArgumentParser
import EventBridge
import Foundation
import GRDB
import Logging
import MQTT
import SmartNationCore

/// `smartnation-bench`: the foundation's throughput figures, each beside a baseline measured in the same run.
///
/// Run it in release mode (`make bench`). Every figure is events per second over the whole run, the
/// median of `--repetitions` runs.
@main
struct Benchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smartnation-bench",
        abstract: "Measure the event bus, the durable log, the MQTT bridge and the identity platform against their baselines."
    )

    @Option(help: "Events per in-process run.") var busEvents = 2_000_000
    @Option(help: "Events per batched durable-append run.") var logEvents = 500_000
    @Option(help: "Events per unbatched durable-append run.") var singleAppendEvents = 20_000
    @Option(help: "Events per bridge run.") var bridgeEvents = 50_000
    @Option(help: "Runs of each measurement; the median is reported.") var repetitions = 3
    @Option(help: "ID tokens per signing and verifying run (a quarter as many device logins).") var identityTokens = 20_000
    @Option(help: "Token requests prepared per HTTP run, enough for 2 s of load up to 15,000/s (their codes are made first and live 60 s).") var tokenRequests = 30_000
    @Option(help: "Concurrent HTTP connections (wrk) of the token-endpoint run.") var httpConcurrency = 32
    @Option(help: "Which sections to run: bus, log, bridge, identity.") var sections = ["bus", "log", "bridge", "identity"]

    func run() async throws {
        var table = ResultTable()
        let samples = SampleEvents(count: 1024)
        print("Payload: CloudEvents envelopes of \(samples.averageEncodedSize) bytes on average; median of \(repetitions) runs.\n")
        if sections.contains("bus") {
            try await InProcessBenchmarks(events: samples, count: busEvents).run(into: &table, repetitions: repetitions)
        }
        if sections.contains("log") {
            try await DurableLogBenchmarks(events: samples, batchedCount: logEvents, singleCount: singleAppendEvents)
                .run(into: &table, repetitions: repetitions)
        }
        if sections.contains("bridge") {
            try await BridgeBenchmarks(events: samples, count: bridgeEvents).run(into: &table, repetitions: repetitions)
        }
        if sections.contains("identity") {
            try await IdentityBenchmarks(tokenCount: identityTokens, httpRequests: tokenRequests, concurrency: httpConcurrency)
                .run(into: &table, repetitions: repetitions)
        }
        print(table.markdown)
    }
}

/// Events shaped like a platform's: a UUIDv7 id, a typed name, a subject and a small JSON payload.
struct SampleEvents: Sendable {
    let events: [CloudEvent]
    let envelopes: [[UInt8]]

    init(count: Int) {
        events = (0..<count).map { index in
            CloudEvent(
                source: "/smartnation/sensors", type: "sg.smartnation.sensors.reading.recorded",
                subject: "lamppost/\(index % 97)", dataContentType: "application/json",
                data: .json(.object([
                    "device": .string("LP-\(10_000 + index)"), "temperature": .number(29.5),
                    "humidity": .integer(80), "pedestrians": .integer(Int64(index % 40)),
                ])))
        }
        envelopes = events.map(CloudEventCoding.encode)
    }

    var averageEncodedSize: Int { envelopes.map(\.count).reduce(0, +) / envelopes.count }

    /// The `index`-th event with a fresh id, so the log's deduplication never applies.
    func unique(_ index: Int) -> CloudEvent {
        var event = events[index % events.count]
        event.id = EventID.make()
        return event
    }
}

/// Collected results, printed as a Markdown table.
struct ResultTable {
    private var rows: [(String, Double, String, Double, String)] = []

    mutating func add(_ name: String, rate: Double, baseline: String, baselineRate: Double, target: String) {
        rows.append((name, rate, baseline, baselineRate, target))
        print(String(format: "%@: %.0f/s; %@: %.0f/s (%.0f%%)", name, rate, baseline, baselineRate, 100 * rate / baselineRate))
    }

    var markdown: String {
        var lines = [
            "| measurement | per second | baseline | baseline per second | ratio | target |",
            "|---|---:|---|---:|---:|---|",
        ]
        for row in rows {
            lines.append(String(format: "| %@ | %.0f | %@ | %.0f | %.0f%% | %@ |", row.0, row.1, row.2, row.3, 100 * row.1 / row.3, row.4))
        }
        return lines.joined(separator: "\n")
    }
}

/// Times `body` `repetitions` times and returns the median rate for `count` events.
func medianRate(count: Int, repetitions: Int, _ body: () async throws -> Void) async rethrows -> Double {
    var rates: [Double] = []
    for _ in 0..<max(1, repetitions) {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await body() }
        rates.append(Double(count) / elapsed.seconds)
    }
    return median(rates)
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
