import Foundation
import MQTT
import Testing

@Suite("Reconnection", .timeLimit(.minutes(1)))
struct ReconnectTests {
    @Test("after the broker restarts on the same port the client reconnects, resubscribes and publishes")
    func reconnectsAfterBrokerRestart() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await MosquittoBroker.start(
            directory: directory.appendingPathComponent("first"),
            logger: TestSupport.logger
        )
        let subscriber = try await connectedClient(first, id: "resilient")
        try await subscriber.subscribe("sensors/+/temp")

        let lossEvents = subscriber.connectionEvents()
        await first.stop()
        #expect(await awaitEvent(in: lossEvents) { if case .connectionLost = $0 { true } else { false } })
        #expect(!subscriber.isConnected)
        await #expect(throws: MQTTError(.notConnected)) {
            try await subscriber.publish(MQTTMessage(topic: "sensors/a/temp", text: "while away"))
        }

        let reconnectEvents = subscriber.connectionEvents()
        let second = try await MosquittoBroker.start(
            directory: directory.appendingPathComponent("second"),
            port: first.port,
            logger: TestSupport.logger
        )
        #expect(await awaitEvent(in: reconnectEvents) { $0 == .reconnected })
        #expect(subscriber.isConnected)

        let publisher = try await connectedClient(second, id: "publisher")
        try await publisher.publish(MQTTMessage(topic: "sensors/lamppost-1/temp", text: "from another client"))
        try await subscriber.publish(MQTTMessage(topic: "sensors/lamppost-2/temp", text: "from itself"))
        let received = await receive(2, from: subscriber)
        #expect(Set(received.map(\.text)) == ["from another client", "from itself"])

        await publisher.disconnect()
        await subscriber.disconnect()
        await second.stop()
    }

    @Test("connect() during a reconnection waits for it")
    func connectJoinsReconnection() async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await MosquittoBroker.start(
            directory: directory.appendingPathComponent("first"),
            logger: TestSupport.logger
        )
        let client = try await connectedClient(first, id: "joiner")
        let lossEvents = client.connectionEvents()
        await first.stop()
        #expect(await awaitEvent(in: lossEvents) { if case .connectionLost = $0 { true } else { false } })

        await #expect(throws: MQTTError(.timeout)) { try await client.connect(timeout: .milliseconds(200)) }
        async let reconnection: Void = client.connect(timeout: .seconds(10))
        let second = try await MosquittoBroker.start(
            directory: directory.appendingPathComponent("second"),
            port: first.port,
            logger: TestSupport.logger
        )
        try await reconnection
        #expect(client.isConnected)
        await client.disconnect()
        await second.stop()
    }

    @Test("the connection events of one client arrive in order on every stream")
    func eventOrder() async throws {
        let events = try await withBroker { broker in
            let client = makeClient(port: broker.port, id: "narrator")
            let stream = client.connectionEvents()
            try await client.connect()
            await client.disconnect()
            var events: [MQTTConnectionEvent] = []
            for await event in stream {
                events.append(event)
            }
            return events
        }
        #expect(events == [.connected, .disconnected])
    }
}
