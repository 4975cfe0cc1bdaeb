import Foundation
import Logging
import MQTT
import ToolSupport

/// Shared settings and helpers for tests that run real Mosquitto brokers.
enum TestSupport {
    /// Quiet by default: the library logs connection changes at info level.
    static let logger: Logger = {
        var logger = Logger(label: "mqtt-tests")
        logger.logLevel = .notice
        return logger
    }()

    /// Short delays so reconnection tests finish quickly.
    static let fastReconnect = MQTTReconnectPolicy(
        initialDelay: .milliseconds(50),
        maximumDelay: .milliseconds(500),
        jitterFraction: 0.2
    )

    /// A new empty directory under the system's temporary directory.
    static func makeTemporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mqtt-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs a command line tool and fails when it exits with a non-zero status.
    static func run(_ executable: String, _ arguments: [String]) async throws {
        let outcome = try await ChildProcess.run(URL(fileURLWithPath: executable), arguments)
        guard outcome.status == 0 else {
            throw CommandFailure(
                command: ([executable] + arguments).joined(separator: " "), status: outcome.status)
        }
    }

    struct CommandFailure: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        var description: String { "\(command) exited with status \(status)" }
    }
}

/// Runs `body` with a fresh broker in its own temporary directory, and stops the broker afterwards.
func withBroker<Result>(
    additionalConfiguration: [String] = [],
    _ body: (MosquittoBroker) async throws -> Result
) async throws -> Result {
    let directory = try TestSupport.makeTemporaryDirectory()
    let broker = try await MosquittoBroker.start(
        directory: directory,
        additionalConfiguration: additionalConfiguration,
        logger: TestSupport.logger
    )
    do {
        let result = try await body(broker)
        await broker.stop()
        try? FileManager.default.removeItem(at: directory)
        return result
    } catch {
        await broker.stop()
        throw error
    }
}

/// A client of the test broker on `port`, with fast reconnection; `configure` adjusts the rest.
func makeClient(
    port: Int,
    id: String,
    configure: (inout MQTTClientConfiguration) -> Void = { _ in }
) -> MQTTClient {
    var configuration = MQTTClientConfiguration(clientID: id, port: port, reconnect: TestSupport.fastReconnect)
    configure(&configuration)
    return MQTTClient(configuration: configuration, logger: TestSupport.logger)
}

/// A connected client of the test broker.
func connectedClient(
    _ broker: MosquittoBroker,
    id: String,
    configure: (inout MQTTClientConfiguration) -> Void = { _ in }
) async throws -> MQTTClient {
    let client = makeClient(port: broker.port, id: id, configure: configure)
    try await client.connect()
    return client
}

/// Up to `count` messages from the client's stream, or fewer when `timeout` passes first.
func receive(_ count: Int, from client: MQTTClient, within timeout: Duration = .seconds(5)) async -> [MQTTMessage] {
    await withTaskGroup(of: [MQTTMessage]?.self) { group in
        group.addTask {
            var received: [MQTTMessage] = []
            for await message in client.messages {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var received: [MQTTMessage] = []
        while let result = await group.next() {
            group.cancelAll()
            if let result { received = result }
        }
        return received
    }
}

/// Whether `events` yields an event matching `predicate` within `timeout`.
func awaitEvent(
    in events: AsyncStream<MQTTConnectionEvent>,
    within timeout: Duration = .seconds(10),
    where predicate: @escaping @Sendable (MQTTConnectionEvent) -> Bool
) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await event in events where predicate(event) {
                return true
            }
            return false
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let found = await group.next() ?? false
        group.cancelAll()
        return found
    }
}

/// Whether `condition` becomes true within `timeout`, checked every 20 ms.
func eventually(within timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

extension MQTTMessage {
    /// A message with a UTF-8 text payload.
    init(topic: String, text: String, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) {
        self.init(topic: topic, payload: Array(text.utf8), qos: qos, retain: retain)
    }

    /// The payload decoded as UTF-8.
    var text: String { String(decoding: payload, as: UTF8.self) }
}
