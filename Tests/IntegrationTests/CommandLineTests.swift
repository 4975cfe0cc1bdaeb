import Foundation
import MQTT
import SmartNationCore
import Testing
import ToolSupport

/// End-to-end tests of the built executables, as an operator runs them.
@Suite("Command-line tools", .serialized)
struct CommandLineTests {
    @Test("snadmin status prints a table and exits 0 when ready, 1 when not, 2 when unreachable; --json for scripts")
    func snadminStatus() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let broker = try await MosquittoBroker.start(directory: directory.url.appendingPathComponent("broker"), logger: testLogger)
        let port = broker.port
        let daemon = try await DaemonProcess(
            directory: directory.url, environment: ["SMARTNATION_MQTT_URL": "mqtt://127.0.0.1:\(port)"])
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })
        let snadmin = builtProductURL("snadmin")

        let ready = try await ChildProcess.run(snadmin, ["status", "--server", daemon.baseURL])
        #expect(ready.status == 0, "\(ready.standardError)")
        #expect(ready.standardOutput.contains("ready"))
        #expect(ready.standardOutput.contains("CHECK"))
        #expect(ready.standardOutput.contains("broker"))

        let fromEnvironment = try await ChildProcess.run(
            snadmin, ["status", "--json"], environment: ["SMARTNATION_SERVER": daemon.baseURL])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.standardError)")
        #expect(fromEnvironment.standardOutput.contains(#""status" : "ready""#))

        await broker.stop()
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 503 })
        let notReady = try await ChildProcess.run(snadmin, ["status", "--server", daemon.baseURL])
        #expect(notReady.status == 1, "\(notReady.standardError)")
        #expect(notReady.standardOutput.contains("NOT READY"))

        #expect(await daemon.interrupt() == 0)
        let unreachable = try await ChildProcess.run(snadmin, ["status", "--server", daemon.baseURL])
        #expect(unreachable.status == 2)
        #expect(unreachable.standardError.contains("client.unreachable"))

        let badURL = try await ChildProcess.run(snadmin, ["status", "--server", "ftp://x"])
        #expect(badURL.status != 0)
        #expect(badURL.standardError.contains("client.invalid_server_url"))
    }

    @Test("smartnationd refuses a bad configuration with exit status 78 and names the key")
    func daemonConfigurationError() async throws {
        let daemon = builtProductURL("smartnationd")
        var environment = ProcessInfo.processInfo.environment
        environment["SMARTNATION_HTTP_ADDRESS"] = "nowhere"
        let result = try await ChildProcess.run(daemon, [], environment: environment)
        #expect(result.status == 78)
        #expect(result.standardError.contains("http.address"))
        #expect(result.standardError.contains("SMARTNATION_HTTP_ADDRESS"))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("smartnation.yaml")
        try "bus:\n  bufer_capacity: 10\n".write(to: file, atomically: true, encoding: .utf8)
        let typo = try await ChildProcess.run(daemon, ["--config", file.path], environment: environment.filter { $0.key != "SMARTNATION_HTTP_ADDRESS" })
        #expect(typo.status == 78)
        #expect(typo.standardError.contains("core.config.unknown_key"))
        #expect(typo.standardError.contains("bus.bufer_capacity"))
    }

    @Test("smartnationd without demo data refuses to start without a sealing key, naming the setting, and starts nothing")
    func daemonNeedsSealingKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SMARTNATION_") }
        let dataDirectory = directory.url.appendingPathComponent("data")
        let result = try await ChildProcess.run(
            builtProductURL("smartnationd"), ["--data-dir", dataDirectory.path, "--http", "127.0.0.1:0"], environment: environment)
        #expect(result.status != 0)
        #expect(result.standardError.contains("identity.secret.key_missing"), "\(result.standardError)")
        #expect(result.standardError.contains("SMARTNATION_IDENTITY_SECRET_KEY"))
        #expect(!FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("identity-secret.key").path), "no key is written")
        #expect(!FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("mosquitto").path), "no broker was started")

        let earlierKey = dataDirectory.appendingPathComponent("identity-secret.key")
        try Data("an earlier start's key\n".utf8).write(to: earlierKey)
        let upgraded = try await ChildProcess.run(
            builtProductURL("smartnationd"), ["--data-dir", dataDirectory.path, "--http", "127.0.0.1:0"], environment: environment)
        #expect(upgraded.status != 0)
        #expect(upgraded.standardError.contains(earlierKey.path), "the refusal points at the key that seals the stored data: \(upgraded.standardError)")
    }

    @Test("smartnationd prints where it listens, logs JSON when asked, and on SIGINT stops itself and its broker")
    func daemonSignalShutdown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await DaemonProcess(directory: directory.url, arguments: ["--log-format", "json"])
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })
        let configuration = directory.url.appendingPathComponent("data/mosquitto/mosquitto.conf").path
        #expect(try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", configuration]).status == 0)

        #expect(await daemon.interrupt() == 0)
        let logged = try daemon.log()
        #expect(try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", configuration]).status == 1, "the broker stopped too")
        let lines = logged.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(throws: Never.self, "every log line is JSON: \(line)") { try JSONParser().parse(Array(line.utf8)) }
        }
        #expect(logged.contains("smartnationd stopped"))
    }

    @Test("smartnationd --help lists the configuration keys")
    func daemonHelp() async throws {
        let result = try await ChildProcess.run(builtProductURL("smartnationd"), ["--help"])
        #expect(result.status == 0)
        #expect(result.standardOutput.contains("SMARTNATION_MQTT_URL"))
        #expect(result.standardOutput.contains("--data-dir"))
    }
}
