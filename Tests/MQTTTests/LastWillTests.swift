import MQTT
import Testing

@Suite("Last will", .timeLimit(.minutes(1)))
struct LastWillTests {
    private static func will(for device: String) -> MQTTMessage {
        MQTTMessage(topic: "status/\(device)", text: "offline", qos: .atLeastOnce)
    }

    @Test("the broker publishes the last will of a client that vanishes without DISCONNECT")
    func willFiresOnAbnormalDisconnect() async throws {
        try await withBroker { broker in
            let watcher = try await connectedClient(broker, id: "watcher")
            try await watcher.subscribe("status/#")

            var device: MQTTClient? = try await connectedClient(broker, id: "lamppost-7") {
                $0.will = Self.will(for: "lamppost-7")
            }
            #expect(device?.isConnected == true)
            // Releasing a connected client without disconnect() closes its socket without DISCONNECT,
            // exactly what the broker sees when a device loses power.
            device = nil

            let received = await receive(1, from: watcher, within: .seconds(10))
            #expect(received == [Self.will(for: "lamppost-7")])
            await watcher.disconnect()
        }
    }

    @Test("the broker discards the last will on a clean disconnect")
    func willDoesNotFireOnCleanDisconnect() async throws {
        try await withBroker { broker in
            let watcher = try await connectedClient(broker, id: "watcher")
            try await watcher.subscribe("status/#")

            let device = try await connectedClient(broker, id: "lamppost-8") {
                $0.will = Self.will(for: "lamppost-8")
            }
            await device.disconnect()
            try await Task.sleep(for: .milliseconds(500))

            // A will would have been queued before this marker, so the marker must come first.
            try await watcher.publish(MQTTMessage(topic: "status/marker", text: "marker"))
            let received = await receive(1, from: watcher)
            #expect(received.map(\.topic) == ["status/marker"])
            #expect(await receive(1, from: watcher, within: .milliseconds(500)).isEmpty)
            await watcher.disconnect()
        }
    }
}
