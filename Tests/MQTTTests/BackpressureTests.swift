import MQTT
import Testing

@Suite("Bounded incoming buffer", .timeLimit(.minutes(1)))
struct BackpressureTests {
    @Test("a stalled consumer keeps the first messages up to capacity; the rest are dropped and counted")
    func stalledConsumerDropsAndCounts() async throws {
        try await withBroker { broker in
            let subscriber = try await connectedClient(broker, id: "stalled") { $0.incomingBufferCapacity = 10 }
            try await subscriber.subscribe("load/#")
            let publisher = try await connectedClient(broker, id: "firehose")

            for index in 0..<50 {
                try await publisher.publish(MQTTMessage(topic: "load/x", payload: [UInt8(index)], qos: .atLeastOnce))
            }
            #expect(await eventually { subscriber.droppedMessageCount == 40 })

            let received = await receive(10, from: subscriber)
            #expect(received.map { $0.payload[0] } == Array(0..<10))
            #expect(await receive(1, from: subscriber, within: .milliseconds(300)).isEmpty)
            #expect(subscriber.isConnected)

            // Once the consumer caught up, new messages are accepted again.
            try await publisher.publish(MQTTMessage(topic: "load/x", text: "after"))
            #expect(await receive(1, from: subscriber).map(\.text) == ["after"])
            #expect(subscriber.droppedMessageCount == 40)
            await publisher.disconnect()
            await subscriber.disconnect()
        }
    }

    @Test("a consumer whose buffer is full can still publish at QoS 1 without deadlock")
    func publishWhileOwnBufferIsFull() async throws {
        try await withBroker { broker in
            let client = try await connectedClient(broker, id: "echo") { $0.incomingBufferCapacity = 5 }
            try await client.subscribe("echo/#")
            for index in 0..<30 {
                // Each PUBACK is read by the same network thread that finds the buffer full.
                try await client.publish(MQTTMessage(topic: "echo/x", payload: [UInt8(index)], qos: .atLeastOnce))
            }
            #expect(await eventually { client.droppedMessageCount == 25 })
            #expect(await receive(5, from: client).map { $0.payload[0] } == Array(0..<5))
            await client.disconnect()
        }
    }

    @Test("cancelling the consuming task leaves the stream usable for the next consumer")
    func cancellationKeepsStream() async throws {
        try await withBroker { broker in
            let client = try await connectedClient(broker, id: "patient-consumer")
            try await client.subscribe("queue/#")
            let consumer = Task {
                var count = 0
                for await _ in client.messages { count += 1 }
                return count
            }
            try await Task.sleep(for: .milliseconds(100))
            consumer.cancel()
            #expect(await consumer.value == 0)

            try await client.publish(MQTTMessage(topic: "queue/a", text: "still delivered"))
            #expect(await receive(1, from: client).map(\.text) == ["still delivered"])
            await client.disconnect()
        }
    }
}
