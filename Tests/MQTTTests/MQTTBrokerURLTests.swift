import MQTT
import Testing

@Suite("MQTTBrokerURL")
struct MQTTBrokerURLTests {
    @Test("an mqtt URL gives host, port and decoded credentials")
    func parsesCredentials() throws {
        let url = try MQTTBrokerURL(parsing: "mqtt://ingest:s%40cret@broker.example:1884")
        #expect(url == MQTTBrokerURL(host: "broker.example", port: 1884, username: "ingest", password: "s@cret"))
        #expect(!url.usesTLS)
    }

    @Test("the default ports are 1883 for mqtt and 8883 for mqtts")
    func defaultPorts() throws {
        #expect(try MQTTBrokerURL(parsing: "mqtt://127.0.0.1").port == 1883)
        let secure = try MQTTBrokerURL(parsing: "mqtts://broker.example")
        #expect(secure.port == 8883)
        #expect(secure.usesTLS)
        #expect(try MQTTBrokerURL(parsing: "MQTT://127.0.0.1/").host == "127.0.0.1")
    }

    @Test("an IPv6 host loses its brackets")
    func ipv6Host() throws {
        let url = try MQTTBrokerURL(parsing: "mqtt://[::1]:1999")
        #expect(url.host == "::1")
        #expect(url.port == 1999)
    }

    @Test(
        "bad URLs are rejected with invalidURL",
        arguments: [
            "", "127.0.0.1:1883", "http://127.0.0.1", "ws://127.0.0.1:9001", "mqtt://", "mqtt://:1883",
            "mqtt://127.0.0.1:0", "mqtt://127.0.0.1:70000", "mqtt://127.0.0.1:port", "mqtt://127.0.0.1/topic",
            "mqtt://127.0.0.1?x=1", "mqtt://:secret@127.0.0.1",
        ]
    )
    func rejectsBadURLs(_ string: String) {
        #expect(throws: MQTTError(.invalidURL)) { try MQTTBrokerURL(parsing: string) }
    }

    @Test("the password never appears in descriptions or errors")
    func masksPassword() throws {
        let url = try MQTTBrokerURL(parsing: "mqtts://ingest:hunter2@broker.example")
        #expect(url.description == "mqtts://ingest:***@broker.example:8883")
        do throws(MQTTError) {
            _ = try MQTTBrokerURL(parsing: "mqtt://ingest:hunter2@broker.example:notaport")
            Issue.record("the URL should have been rejected")
        } catch {
            #expect(error.parameters["url"] == "mqtt://ingest:***@broker.example:notaport")
        }
    }

    @Test("a client configuration takes host, port, credentials and TLS from the URL")
    func configurationFromURL() throws {
        let url = try MQTTBrokerURL(parsing: "mqtts://agent:pw@broker.example")
        let configuration = MQTTClientConfiguration(clientID: "lamppost-1", brokerURL: url)
        #expect(configuration.host == "broker.example")
        #expect(configuration.port == 8883)
        #expect(configuration.username == "agent")
        #expect(configuration.password == "pw")
        #expect(configuration.tls == MQTTTLSConfiguration())
    }
}
