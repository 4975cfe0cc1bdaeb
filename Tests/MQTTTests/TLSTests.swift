import Foundation
import MQTT
import Testing

@Suite("TLS", .timeLimit(.minutes(1)))
struct TLSTests {
    /// A certificate authority and a server certificate for 127.0.0.1, made with the openssl CLI.
    private struct Certificates {
        let directory: URL
        var authority: String { directory.appendingPathComponent("ca.crt").path }
        var otherAuthority: String { directory.appendingPathComponent("other-ca.crt").path }
        var serverCertificate: String { directory.appendingPathComponent("server.crt").path }
        var serverKey: String { directory.appendingPathComponent("server.key").path }

        static func make() async throws -> Certificates {
            let certificates = Certificates(directory: try TestSupport.makeTemporaryDirectory())
            let path = { (name: String) in certificates.directory.appendingPathComponent(name).path }
            let openssl = "/usr/bin/openssl"
            let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            for name in ["ca", "other-ca"] {
                try await TestSupport.run(
                    openssl,
                    ["req", "-x509"] + key
                        + [
                            "-keyout", path("\(name).key"), "-out", path("\(name).crt"), "-days", "2", "-subj",
                            "/CN=\(name)",
                        ]
                )
            }
            try await TestSupport.run(
                openssl,
                ["req"] + key + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=127.0.0.1"]
            )
            try Data("subjectAltName=IP:127.0.0.1\n".utf8).write(to: URL(fileURLWithPath: path("server.ext")))
            try await TestSupport.run(
                openssl,
                [
                    "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                    "-CAcreateserial", "-out", path("server.crt"), "-days", "2", "-extfile", path("server.ext"),
                ]
            )
            return certificates
        }

        var listenerConfiguration: [String] {
            ["cafile \(authority)", "certfile \(serverCertificate)", "keyfile \(serverKey)"]
        }
    }

    @Test("a client trusting the broker's authority connects over TLS and exchanges messages")
    func connectsOverTLS() async throws {
        let certificates = try await Certificates.make()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        try await withBroker(additionalConfiguration: certificates.listenerConfiguration) { broker in
            let client = makeClient(port: broker.port, id: "secure") {
                $0.tls = MQTTTLSConfiguration(caFile: certificates.authority)
            }
            try await client.connect()
            try await client.subscribe("secure/#")
            try await client.publish(MQTTMessage(topic: "secure/a", text: "encrypted"))
            #expect(await receive(1, from: client).map(\.text) == ["encrypted"])
            await client.disconnect()
        }
    }

    @Test("a broker certificate from an authority the client does not trust fails with tlsConfiguration")
    func untrustedAuthorityFails() async throws {
        let certificates = try await Certificates.make()
        defer { try? FileManager.default.removeItem(at: certificates.directory) }
        try await withBroker(additionalConfiguration: certificates.listenerConfiguration) { broker in
            let client = makeClient(port: broker.port, id: "suspicious") {
                $0.tls = MQTTTLSConfiguration(caFile: certificates.otherAuthority)
            }
            await #expect(throws: MQTTError(.tlsConfiguration)) { try await client.connect(timeout: .seconds(5)) }
            #expect(!client.isConnected)
        }
    }

    @Test("a missing CA file fails with tlsConfiguration before connecting")
    func missingAuthorityFile() async throws {
        let client = makeClient(port: 8883, id: "lost-ca") {
            $0.tls = MQTTTLSConfiguration(caFile: "/nonexistent/ca.crt")
        }
        do throws(MQTTError) {
            try await client.connect(timeout: .seconds(1))
            Issue.record("connect should have failed")
        } catch {
            #expect(error == MQTTError(.tlsConfiguration))
            #expect(error.parameters["file"] == "/nonexistent/ca.crt")
        }
    }

    @Test("a client certificate without its key is rejected")
    func certificateWithoutKey() async {
        let client = makeClient(port: 8883, id: "half-identity") {
            $0.tls = MQTTTLSConfiguration(
                caFile: MQTTTLSConfiguration.systemCertificateBundle, certificateFile: "/tmp/x.crt")
        }
        await #expect(throws: MQTTError(.tlsConfiguration)) { try await client.connect(timeout: .seconds(1)) }
    }
}
