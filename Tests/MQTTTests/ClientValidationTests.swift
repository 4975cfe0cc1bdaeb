import Foundation
import MQTT
import Testing

@Suite("Client input validation and state errors", .timeLimit(.minutes(1)))
struct ClientValidationTests {
    @Test("publishing or subscribing before connecting fails with notConnected")
    func notConnectedBeforeConnect() async {
        let client = makeClient(port: 1883, id: "never-connected")
        await #expect(throws: MQTTError(.notConnected)) {
            try await client.publish(MQTTMessage(topic: "sensors/a/temp", text: "1"))
        }
        await #expect(throws: MQTTError(.notConnected)) { try await client.subscribe("sensors/#") }
        await #expect(throws: MQTTError(.notConnected)) { try await client.unsubscribe("sensors/#") }
        #expect(!client.isConnected)
    }

    @Test(
        "a topic with wildcards, empty or with NUL is rejected for publishing",
        arguments: ["sensors/+/temp", "sensors/#", "", "a\u{0}b", "#"]
    )
    func invalidPublishTopic(_ topic: String) async {
        let client = makeClient(port: 1883, id: "validator")
        await #expect(throws: MQTTError(.invalidTopic)) {
            try await client.publish(MQTTMessage(topic: topic, text: "x"))
        }
    }

    @Test(
        "a malformed topic filter is rejected for subscribing", arguments: ["sensors/#/temp", "sensors/a+", "", "a/#b"])
    func invalidTopicFilter(_ filter: String) async {
        let client = makeClient(port: 1883, id: "validator")
        await #expect(throws: MQTTError(.invalidTopic)) { try await client.subscribe(filter) }
        await #expect(throws: MQTTError(.invalidTopic)) { try await client.unsubscribe(filter) }
    }

    @Test("an inconsistent configuration is rejected before any connection attempt")
    func invalidConfiguration() async {
        let settings: [(inout MQTTClientConfiguration) -> Void] = [
            { $0.keepAliveSeconds = 2 },
            { $0.port = 0 },
            { $0.host = "" },
            { $0.password = "secret" },
            {
                $0.clientID = ""; $0.cleanSession = false
            },
            { $0.will = MQTTMessage(topic: "status/+", text: "gone") },
        ]
        for configure in settings {
            let client = makeClient(port: 1883, id: "misconfigured", configure: configure)
            await #expect(throws: MQTTError.self) { try await client.connect(timeout: .seconds(1)) }
        }
        let client = makeClient(port: 1883, id: "misconfigured") { $0.keepAliveSeconds = 1 }
        await #expect(throws: MQTTError(.invalidConfiguration)) { try await client.connect(timeout: .seconds(1)) }
    }

    @Test("connecting where no broker listens keeps retrying and then times out")
    func connectTimesOut() async throws {
        let port = try LoopbackPort.findFree()
        let client = makeClient(port: port, id: "hopeful")
        let started = ContinuousClock.now
        do throws(MQTTError) {
            try await client.connect(timeout: .milliseconds(600))
            Issue.record("connect should have timed out")
        } catch {
            #expect(error == MQTTError(.timeout))
            #expect(error.parameters["lastFailure"] != nil)
        }
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        #expect(!client.isConnected)
    }

    @Test("a client that timed out can connect once the broker is up")
    func connectAfterTimeout() async throws {
        try await withBroker { broker in
            await broker.stop()
            let client = makeClient(port: broker.port, id: "patient")
            await #expect(throws: MQTTError(.timeout)) { try await client.connect(timeout: .milliseconds(300)) }
            let restarted = try await MosquittoBroker.start(
                directory: broker.directory.appendingPathComponent("again"),
                port: broker.port,
                logger: TestSupport.logger
            )
            try await client.connect()
            #expect(client.isConnected)
            await client.disconnect()
            await restarted.stop()
        }
    }

    @Test("a cancelled connect fails with cancelled")
    func connectCancelled() async throws {
        let port = try LoopbackPort.findFree()
        let client = makeClient(port: port, id: "impatient")
        let attempt = Task { try await client.connect(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(100))
        attempt.cancel()
        await #expect(throws: MQTTError(.cancelled)) { try await attempt.value }
    }

    @Test("after disconnect the client stays closed")
    func disconnectIsFinal() async throws {
        try await withBroker { broker in
            let client = try await connectedClient(broker, id: "one-shot")
            try await client.connect()
            await client.disconnect()
            await client.disconnect()
            #expect(!client.isConnected)
            await #expect(throws: MQTTError(.notConnected)) {
                try await client.publish(MQTTMessage(topic: "a/b", text: "late"))
            }
            await #expect(throws: MQTTError(.disconnected)) { try await client.connect() }
        }
    }

    @Test("a payload over the MQTT maximum is rejected")
    func payloadTooLarge() async {
        let client = makeClient(port: 1883, id: "heavy")
        let payload = [UInt8](repeating: 0, count: 268_435_456)
        await #expect(throws: MQTTError(.payloadTooLarge)) {
            try await client.publish(MQTTMessage(topic: "big/blob", payload: payload))
        }
    }
}
