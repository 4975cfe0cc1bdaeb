import EventBridge
import Foundation
import Logging
import MQTT
import SmartNationCore

/// Events from one bus to another through two bridges and a real Mosquitto, against `mosquitto_pub -l`
/// piping the same envelopes, QoS 1, to a `mosquitto_sub -C N` through the same broker.
struct BridgeBenchmarks {
    let events: SampleEvents
    let count: Int

    func run(into table: inout ResultTable, repetitions: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smartnation-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let broker = try await MosquittoBroker.start(directory: directory, logger: logger)
        let bridgeRate = try await medianRate(count: count, repetitions: repetitions) {
            try await bridgeRun(port: broker.port, logger: logger)
        }
        let rawRate = try await medianRate(count: count, repetitions: repetitions) {
            try await mosquittoClientsRun(port: broker.port, directory: directory)
        }
        await broker.stop()
        table.add(
            "bridge bus→MQTT→bus, QoS 1", rate: bridgeRate,
            baseline: "mosquitto_pub -l → mosquitto_sub, QoS 1, same payloads", baselineRate: rawRate,
            target: "≥ 50% of baseline")
    }

    private func bridgeRun(port: Int, logger: Logger) async throws {
        let suffix = UUID().uuidString.prefix(8)
        let sending = try await BridgedBus(name: "bench-send-\(suffix)", port: port, logger: logger)
        let receiving = try await BridgedBus(name: "bench-receive-\(suffix)", port: port, logger: logger)
        let arrivals = try receiving.bus.subscribe(to: .all, name: "bench", bufferCapacity: 4096)
        try await Task.sleep(for: .milliseconds(200))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                while received < count, await arrivals.next() != nil { received += 1 }
            }
            group.addTask {
                for index in 0..<count { try await sending.bus.publish(events.unique(index)) }
            }
            try await group.waitForAll()
        }
        await sending.stop()
        await receiving.stop()
    }

    private func mosquittoClientsRun(port: Int, directory: URL) async throws {
        let input = directory.appendingPathComponent("payloads-\(UUID().uuidString).txt")
        let lines = (0..<count).map { String(decoding: CloudEventCoding.encode(events.unique($0)), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let topic = "bench/raw/\(UUID().uuidString.prefix(8))"
        let subscriber = Process()
        subscriber.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        subscriber.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-q", "1", "-C", String(count)]
        subscriber.standardOutput = FileHandle.nullDevice
        try subscriber.run()
        try await Task.sleep(for: .milliseconds(300))
        let publisher = Process()
        publisher.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        publisher.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-q", "1", "-l"]
        publisher.standardInput = try FileHandle(forReadingFrom: input)
        try publisher.run()
        publisher.waitUntilExit()
        subscriber.waitUntilExit()
    }
}

/// A bus joined to the broker by its own client and bridge.
struct BridgedBus {
    let bus = EventBus()
    let client: MQTTClient
    let task: Task<Void, any Error>

    init(name: String, port: Int, logger: Logger) async throws {
        client = MQTTClient(configuration: MQTTClientConfiguration(clientID: name, port: port), logger: logger)
        try await client.connect()
        let bridge = MQTTEventBridge(
            configuration: .init(nodeID: name, publishPatterns: [.all], bufferCapacity: 4096), bus: bus, client: client,
            logger: logger)
        task = Task { try await bridge.run() }
    }

    func stop() async {
        task.cancel()
        _ = await task.result
        await client.disconnect()
        bus.shutdown()
    }
}
