import Foundation
import MQTT
import Testing

@Suite("User name and password", .timeLimit(.minutes(1)))
struct AuthenticationTests {
    /// A broker that accepts only `ingest` with password `correct horse`.
    private func withPasswordBroker(_ body: (MosquittoBroker) async throws -> Void) async throws {
        let directory = try TestSupport.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let passwordFile = directory.appendingPathComponent("passwords").path
        try await TestSupport.run("/usr/bin/mosquitto_passwd", ["-c", "-b", passwordFile, "ingest", "correct horse"])
        try await withBroker(additionalConfiguration: ["allow_anonymous false", "password_file \(passwordFile)"], body)
    }

    @Test("a wrong password is refused with connectionRefused, at once")
    func wrongPasswordIsRefused() async throws {
        try await withPasswordBroker { broker in
            let client = makeClient(port: broker.port, id: "intruder") {
                $0.username = "ingest"
                $0.password = "battery staple"
            }
            let started = ContinuousClock.now
            do throws(MQTTError) {
                try await client.connect(timeout: .seconds(10))
                Issue.record("the broker should have refused the connection")
            } catch {
                #expect(error == MQTTError(.connectionRefused))
                #expect(error.parameters["reason"] != nil)
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(!client.isConnected)
        }
    }

    @Test("an anonymous client is refused when the broker demands credentials")
    func anonymousIsRefused() async throws {
        try await withPasswordBroker { broker in
            let client = makeClient(port: broker.port, id: "anonymous")
            await #expect(throws: MQTTError(.connectionRefused)) { try await client.connect() }
        }
    }

    @Test("the right password connects, and a URL carries the credentials")
    func rightPasswordConnects() async throws {
        try await withPasswordBroker { broker in
            let url = try MQTTBrokerURL(parsing: "mqtt://ingest:correct%20horse@127.0.0.1:\(broker.port)")
            let client = MQTTClient(
                configuration: MQTTClientConfiguration(clientID: "ingest-1", brokerURL: url),
                logger: TestSupport.logger
            )
            try await client.connect()
            #expect(client.isConnected)
            try await client.subscribe("sensors/#")
            try await client.publish(MQTTMessage(topic: "sensors/a/temp", text: "29"))
            #expect(await receive(1, from: client).map(\.text) == ["29"])
            await client.disconnect()
        }
    }
}
