import MQTT
import Testing

@Suite("MQTTError")
struct MQTTErrorTests {
    @Test("errors with the same code are equal whatever their parameters")
    func equalityIgnoresParameters() {
        let first = MQTTError(.notConnected, parameters: ["phase": "idle"])
        let second = MQTTError(.notConnected, parameters: ["phase": "reconnecting"])
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != MQTTError(.timeout))
    }

    @Test("the message key is derived from the code")
    func messageKey() {
        #expect(MQTTError(.connectionRefused).messageKey == "mqtt.error.connectionRefused")
        #expect(MQTTError(.invalidURL).messageKey == "mqtt.error.invalidURL")
    }

    @Test("the description names the code and the parameters in key order")
    func description() {
        let error = MQTTError(.invalidTopic, parameters: ["topic": "a/+", "reason": "wildcard"])
        #expect(error.description == "MQTTError(invalidTopic; reason: wildcard, topic: a/+)")
        #expect(MQTTError(.timeout).description == "MQTTError(timeout)")
    }
}
