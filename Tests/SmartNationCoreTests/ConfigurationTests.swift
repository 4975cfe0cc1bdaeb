import Foundation
import Testing

@testable import SmartNationCore

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults need no file, no environment and no flags")
    func defaults() throws {
        let configuration = try ConfigurationLoader().resolve()
        #expect(configuration.http.host == "127.0.0.1")
        #expect(configuration.http.port == 8080)
        #expect(configuration.mqtt.url == nil)
        #expect(configuration.log.format == .text)
        #expect(configuration.bridge.publishPatterns.map(\.description) == ["sg.smartnation.*"])
        #expect(configuration.identity.passwordRounds == 600_000)
        #expect(!configuration.identity.allowsDevelopmentClients)
    }

    @Test("flags override the environment, which overrides the file")
    func precedence() throws {
        var loader = ConfigurationLoader()
        try loader.addYAML(
            """
            data_dir: /from/file
            http:
              address: 0.0.0.0:9000
            log:
              format: json
            bridge:
              publish: [sg.smartnation.payments.*, sg.smartnation.sensors.*]
            """, path: "test.yaml")
        try loader.addEnvironment(["SMARTNATION_HTTP_ADDRESS": "127.0.0.1:9100", "SMARTNATION_DATA_DIR": "/from/env",
                                   "SMARTNATION_SERVER": "http://ignored", "SMARTNATION_BUS_BUFFER_CAPACITY": "64",
                                   "SMARTNATION_IDENTITY_PASSWORD_ROUNDS": "700000", "SMARTNATION_IDENTITY_DEVELOPMENT_CLIENTS": "true"])
        try loader.addFlag("--http", key: "http.address", value: "127.0.0.1:9200")
        let configuration = try loader.resolve()
        #expect(configuration.http.port == 9200)
        #expect(configuration.dataDirectory.path == "/from/env")
        #expect(configuration.log.format == .json)
        #expect(configuration.busBufferCapacity == 64)
        #expect(configuration.identity.passwordRounds == 700_000)
        #expect(configuration.identity.allowsDevelopmentClients)
        #expect(configuration.bridge.publishPatterns.count == 2)
    }

    @Test("an unknown key in the file is refused by name")
    func unknownKey() throws {
        var loader = ConfigurationLoader()
        do {
            try loader.addYAML("http:\n  adress: 1.2.3.4:80\n", path: "typo.yaml")
            Issue.record("accepted a typo")
        } catch {
            #expect(error.code == .configurationUnknownKey)
            #expect(error.parameters["key"] == "http.adress")
            #expect(error.parameters["source"] == "file typo.yaml")
        }
    }

    @Test(
        "a bad value names the key, what was expected and where it came from",
        arguments: [
            ("SMARTNATION_HTTP_ADDRESS", "localhost", "http.address"),
            ("SMARTNATION_HTTP_ADDRESS", "127.0.0.1:70000", "http.address"),
            ("SMARTNATION_LOG_LEVEL", "loud", "log.level"),
            ("SMARTNATION_BUS_BUFFER_CAPACITY", "0", "bus.buffer_capacity"),
            ("SMARTNATION_BUS_BUFFER_CAPACITY", "many", "bus.buffer_capacity"),
            ("SMARTNATION_MQTT_URL", "http://broker", "mqtt.url"),
            ("SMARTNATION_BRIDGE_ENABLED", "perhaps", "bridge.enabled"),
            ("SMARTNATION_BRIDGE_PUBLISH", "sg..x", "bridge.publish"),
            ("SMARTNATION_IDENTITY_PASSWORD_ROUNDS", "1000", "identity.password_rounds"),
            ("SMARTNATION_IDENTITY_DEVELOPMENT_CLIENTS", "sometimes", "identity.development_clients"),
        ])
    func badValue(variable: String, value: String, key: String) throws {
        var loader = ConfigurationLoader()
        try loader.addEnvironment([variable: value])
        do {
            _ = try loader.resolve()
            Issue.record("accepted \(variable)=\(value)")
        } catch {
            #expect(error.code == .configurationInvalidValue)
            #expect(error.parameters["key"] == key)
            #expect(error.parameters["expected"] == ConfigurationKey.named(key)?.expected)
            #expect(error.parameters["source"] == "environment variable \(variable)")
        }
    }

    @Test("a file that is not YAML, not a mapping, or missing is unreadable")
    func unreadable() throws {
        var loader = ConfigurationLoader()
        #expect(throws: SmartNationError(.configurationUnreadable)) { try loader.addYAML("a: [1, 2", path: "broken.yaml") }
        #expect(throws: SmartNationError(.configurationUnreadable)) { try loader.addYAML("- a\n- b\n", path: "list.yaml") }
        #expect(throws: SmartNationError(.configurationUnreadable)) { try loader.addFile(at: "/nonexistent/smartnation.yaml") }
    }

    @Test("every key's environment variable follows the SMARTNATION_ convention")
    func environmentNames() {
        #expect(ConfigurationKey.named("http.address")?.environmentVariable == "SMARTNATION_HTTP_ADDRESS")
        #expect(ConfigurationKey.named("data_dir")?.environmentVariable == "SMARTNATION_DATA_DIR")
    }
}
