import EventBridge
import Foundation
import MQTT
import SmartNationCore
import Testing

@Suite("Bus over MQTT", .serialized)
struct BridgeIntegrationTests {
    /// One daemon's worth of bridging: a bus, a client and a bridge running in the background.
    struct Node {
        let bus: EventBus
        let client: MQTTClient
        let bridge: MQTTEventBridge
        let task: Task<Void, any Error>

        init(name: String, brokerPort: Int, patterns: [EventPattern] = [.all]) async throws {
            bus = EventBus()
            client = MQTTClient(configuration: MQTTClientConfiguration(clientID: name, port: brokerPort), logger: testLogger)
            try await client.connect()
            bridge = MQTTEventBridge(
                configuration: .init(nodeID: name, publishPatterns: patterns), bus: bus, client: client, logger: testLogger)
            let bridge = bridge
            task = Task { try await bridge.run() }
        }

        func stop() async {
            task.cancel()
            _ = await task.result
            await client.disconnect()
            bus.shutdown()
        }
    }

    @Test("two buses on one real broker see each other's events exactly once, with no echo")
    func twoBusesExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await MosquittoBroker.start(directory: directory.url, logger: testLogger)
        let alpha = try await Node(name: "alpha", brokerPort: broker.port)
        let beta = try await Node(name: "beta", brokerPort: broker.port)
        let seenByAlpha = try alpha.bus.subscribe(to: .all, name: "watch-alpha", bufferCapacity: 4096)
        let seenByBeta = try beta.bus.subscribe(to: .all, name: "watch-beta", bufferCapacity: 4096)
        try await Task.sleep(for: .milliseconds(300))

        let count = 200
        let fromAlpha = (0..<count).map { CloudEvent(source: "/alpha", type: "sg.smartnation.test.thing.happened", subject: "a\($0)") }
        let fromBeta = (0..<count).map { CloudEvent(source: "/beta", type: "sg.smartnation.test.thing.happened", subject: "b\($0)") }
        try await alpha.bus.publish(fromAlpha)
        try await beta.bus.publish(fromBeta)

        var alphaIDs: [String: Int] = [:]
        var betaIDs: [String: Int] = [:]
        for _ in 0..<(2 * count) { alphaIDs[(await seenByAlpha.next())!.id, default: 0] += 1 }
        for _ in 0..<(2 * count) { betaIDs[(await seenByBeta.next())!.id, default: 0] += 1 }
        try await Task.sleep(for: .milliseconds(500))

        let expected = Set((fromAlpha + fromBeta).map(\.id))
        #expect(Set(alphaIDs.keys) == expected)
        #expect(Set(betaIDs.keys) == expected)
        #expect(alphaIDs.values.allSatisfy { $0 == 1 } && betaIDs.values.allSatisfy { $0 == 1 })
        #expect(alpha.bus.statistics.publishedCount == 2 * count, "nothing arrives twice or comes back")
        #expect(beta.bus.statistics.publishedCount == 2 * count)
        #expect(alpha.bridge.statistics.sentCount == count)
        #expect(alpha.bridge.statistics.receivedCount == count)
        #expect(alpha.bridge.statistics.duplicateCount == count, "alpha drops its own echo of each event it sent")

        await alpha.stop()
        await beta.stop()
        await broker.stop()
    }

    @Test("only events matching the publish patterns leave a node; malformed envelopes on the topic are counted and dropped")
    func patternsAndMalformed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await MosquittoBroker.start(directory: directory.url, logger: testLogger)
        let sender = try await Node(name: "sender", brokerPort: broker.port, patterns: [try EventPattern("sg.smartnation.payments.*")])
        let receiver = try await Node(name: "receiver", brokerPort: broker.port)
        let received = try receiver.bus.subscribe(to: .all, name: "watch")
        try await Task.sleep(for: .milliseconds(300))

        try await sender.bus.publish(CloudEvent(source: "/s", type: "sg.smartnation.sensors.reading.recorded"))
        let payment = CloudEvent(source: "/s", type: "sg.smartnation.payments.transfer.settled")
        try await sender.bus.publish(payment)
        let raw = MQTTClient(configuration: MQTTClientConfiguration(clientID: "raw", port: broker.port), logger: testLogger)
        try await raw.connect()
        try await raw.publish(MQTTMessage(topic: "smartnation/events/junk", payload: Array("not json".utf8), qos: .atLeastOnce))
        let external = CloudEvent(source: "/tool", type: "sg.smartnation.test.thing.happened")
        try await raw.publish(MQTTMessage(topic: "smartnation/events/x", payload: CloudEventCoding.encode(external), qos: .atLeastOnce))

        // Two clients publish them, so the broker may deliver either first.
        var arrived: [String: CloudEvent] = [:]
        for _ in 0..<2 {
            let event = try #require(await received.next())
            arrived[event.id] = event
        }
        #expect(Set(arrived.keys) == [payment.id, external.id])
        #expect(arrived[external.id]?.extensions[MQTTEventBridge.originAttribute] == .string(MQTTEventBridge.externalOrigin))
        #expect(await eventually { receiver.bridge.statistics.rejectedCount == 1 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(receiver.bus.statistics.publishedCount == 2)
        #expect(sender.bridge.statistics.sentCount == 1, "the external event is not forwarded again")

        await raw.disconnect()
        await sender.stop()
        await receiver.stop()
        await broker.stop()
    }
}
