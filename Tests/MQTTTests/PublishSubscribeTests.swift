import MQTT
import Testing

@Suite("Publish and subscribe through a real Mosquitto", .timeLimit(.minutes(1)))
struct PublishSubscribeTests {
    @Test("QoS 1 messages reach wildcard subscribers exactly, in order, with payloads intact")
    func wildcardSubscribersReceiveExactly() async throws {
        try await withBroker { broker in
            let perLevel = try await connectedClient(broker, id: "plus-subscriber")
            let multiLevel = try await connectedClient(broker, id: "hash-subscriber")
            let publisher = try await connectedClient(broker, id: "publisher")
            try await perLevel.subscribe("sensors/+/temp")
            try await multiLevel.subscribe("sensors/#")

            let binary = (0...255).map(UInt8.init)
            let large = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let published = [
                MQTTMessage(topic: "sensors/lamppost-1/temp", payload: Array("31.5".utf8), qos: .atLeastOnce),
                MQTTMessage(topic: "sensors/lamppost-1/humidity", payload: Array("80".utf8), qos: .atLeastOnce),
                MQTTMessage(topic: "sensors/lamppost-2/temp", payload: binary, qos: .atLeastOnce),
                MQTTMessage(topic: "sensors/lamppost-2/noise/peak", payload: large, qos: .atLeastOnce),
                MQTTMessage(topic: "traffic/junction-9/count", payload: Array("12".utf8), qos: .atLeastOnce),
                MQTTMessage(topic: "sensors/lamppost-3/temp", payload: [], qos: .atLeastOnce),
            ]
            for message in published {
                try await publisher.publish(message)
            }

            let expectedPerLevel = published.filter { $0.topic.hasSuffix("/temp") }
            let expectedMultiLevel = published.filter { $0.topic.hasPrefix("sensors/") }
            #expect(await receive(expectedPerLevel.count, from: perLevel) == expectedPerLevel)
            #expect(await receive(expectedMultiLevel.count, from: multiLevel) == expectedMultiLevel)
            #expect(await receive(1, from: perLevel, within: .milliseconds(300)).isEmpty)
            #expect(await receive(1, from: multiLevel, within: .milliseconds(300)).isEmpty)

            for client in [perLevel, multiLevel, publisher] {
                await client.disconnect()
            }
        }
    }

    @Test("a batch publish keeps many messages in flight, arrives in order, and checks every topic first")
    func batchPublish() async throws {
        try await withBroker { broker in
            let subscriber = try await connectedClient(broker, id: "batch-subscriber")
            let publisher = try await connectedClient(broker, id: "batch-publisher")
            try await subscriber.subscribe("batch/#")
            let batch = (0..<1000).map { MQTTMessage(topic: "batch/\($0 % 3)", text: "\($0)", qos: .atLeastOnce) }
            try await publisher.publish(contentsOf: batch)
            #expect(await receive(1000, from: subscriber, within: .seconds(10)).map(\.text) == (0..<1000).map(String.init))

            let invalid = [MQTTMessage(topic: "batch/ok", text: "x"), MQTTMessage(topic: "batch/+", text: "y")]
            await #expect(throws: MQTTError(.invalidTopic)) { try await publisher.publish(contentsOf: invalid) }
            #expect(await receive(1, from: subscriber, within: .milliseconds(300)).isEmpty, "nothing of a refused batch is sent")
            await subscriber.disconnect()
            await publisher.disconnect()
        }
    }

    @Test("messages of one publisher and one QoS arrive in publication order")
    func orderIsPreservedPerQoS() async throws {
        try await withBroker { broker in
            let subscriber = try await connectedClient(broker, id: "order-subscriber")
            let publisher = try await connectedClient(broker, id: "order-publisher")
            try await subscriber.subscribe("order/#")
            for index in 0..<500 {
                let qos: MQTTQoS = index.isMultiple(of: 2) ? .atLeastOnce : .atMostOnce
                try await publisher.publish(MQTTMessage(topic: "order/\(index % 7)", text: "\(index)", qos: qos))
            }
            // MQTT orders messages per QoS only: Mosquitto may send a QoS 0 message while QoS 1
            // messages wait for the in-flight window.
            let received = await receive(500, from: subscriber, within: .seconds(10))
            let atLeastOnce = received.filter { $0.qos == .atLeastOnce }.map(\.text)
            let atMostOnce = received.filter { $0.qos == .atMostOnce }.map(\.text)
            #expect(atLeastOnce == stride(from: 0, to: 500, by: 2).map(String.init))
            #expect(atMostOnce == stride(from: 1, to: 500, by: 2).map(String.init))
            await subscriber.disconnect()
            await publisher.disconnect()
        }
    }

    @Test("a retained message reaches a subscriber that subscribes later, marked as retained")
    func retainedMessageReachesLateSubscriber() async throws {
        try await withBroker { broker in
            let publisher = try await connectedClient(broker, id: "retain-publisher")
            let status = MQTTMessage(topic: "status/lamppost-4", text: "online", retain: true)
            try await publisher.publish(status)
            await publisher.disconnect()

            let late = try await connectedClient(broker, id: "late-subscriber")
            try await late.subscribe("status/+")
            let received = await receive(1, from: late)
            #expect(received.first?.topic == "status/lamppost-4")
            #expect(received.first?.text == "online")
            #expect(received.first?.retain == true)
            await late.disconnect()
        }
    }

    @Test("after unsubscribing, messages on that filter no longer arrive")
    func unsubscribeStopsDelivery() async throws {
        try await withBroker { broker in
            let client = try await connectedClient(broker, id: "unsubscriber")
            try await client.subscribe("alerts/#")
            try await client.publish(MQTTMessage(topic: "alerts/flood", text: "first"))
            #expect(await receive(1, from: client).map(\.text) == ["first"])
            try await client.unsubscribe("alerts/#")
            try await client.publish(MQTTMessage(topic: "alerts/flood", text: "second"))
            #expect(await receive(1, from: client, within: .milliseconds(500)).isEmpty)
            await client.disconnect()
        }
    }

    @Test("disconnect finishes the message stream after the buffered messages")
    func disconnectFinishesStream() async throws {
        try await withBroker { broker in
            let client = try await connectedClient(broker, id: "finisher")
            try await client.subscribe("finish/#")
            // Mosquitto queues the copy for this subscriber before the PUBACK, on the same connection,
            // so the copy is buffered by the time publish() returns.
            try await client.publish(MQTTMessage(topic: "finish/a", text: "kept"))
            await client.disconnect()
            var texts: [String] = []
            for await message in client.messages {
                texts.append(message.text)
            }
            #expect(texts == ["kept"])
            #expect(!client.isConnected)
        }
    }
}
