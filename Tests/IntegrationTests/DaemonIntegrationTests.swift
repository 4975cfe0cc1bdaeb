import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import MQTT
import SmartNationClient
import SmartNationCore
import SmartNationDaemon
import Synchronization
import Testing
import ToolSupport

/// A daemon running in this process on a random port, stopped by cancelling its task.
struct RunningDaemon {
    let daemon: SmartNationDaemon
    let task: Task<Void, any Error>
    let baseURL: String

    /// Starts one with `environment` — over a fresh sealing key, as an operator supplies one, unless
    /// `suppliesSealingKey` is off; throws what stopped it if it stops before it listens.
    static func start(dataDirectory: URL, environment: [String: String] = [:], suppliesSealingKey: Bool = true) async throws -> RunningDaemon {
        var loader = ConfigurationLoader()
        try loader.addEnvironment((suppliesSealingKey ? freshSealingKey() : [:]).merging(environment) { $1 })
        try loader.addFlag("--data-dir", key: "data_dir", value: dataDirectory.path)
        try loader.addFlag("--http", key: "http.address", value: "127.0.0.1:0")
        let configuration = try loader.resolve()
        let (addresses, continuation) = AsyncStream.makeStream(of: SmartNationDaemon.ListeningAddress.self)
        let daemon = SmartNationDaemon(configuration: configuration, logger: testLogger, handlesSignals: false) { address in
            continuation.yield(address)
        }
        let task = Task {
            defer { continuation.finish() }
            try await daemon.run()
        }
        var iterator = addresses.makeAsyncIterator()
        guard let address = await iterator.next() else {
            try await task.value
            throw CancellationError()
        }
        return RunningDaemon(daemon: daemon, task: task, baseURL: address.url)
    }

    /// Shuts the daemon down gracefully, as SIGTERM does, and waits for it to finish.
    func stop() async throws {
        await daemon.shutdown()
        try await task.value
    }
}

@Suite("smartnationd", .serialized)
struct DaemonIntegrationTests {
    @Test("health is 200; readiness follows the broker: 503 while it is down, 200 once it is back")
    func readinessFollowsBroker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let brokerDirectory = directory.url.appendingPathComponent("broker")
        var broker = try await MosquittoBroker.start(directory: brokerDirectory, logger: testLogger)
        let port = broker.port
        let daemon = try await RunningDaemon.start(
            dataDirectory: directory.url.appendingPathComponent("data"),
            environment: ["SMARTNATION_MQTT_URL": "mqtt://127.0.0.1:\(port)"])

        #expect(try await httpGet(daemon.baseURL + "/healthz").status == 200)
        #expect(try await httpGet(daemon.baseURL + "/livez").status == 200)
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })

        await broker.stop()
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 503 })
        let down = try await httpGet(daemon.baseURL + "/readyz")
        let report = try JSONDecoder().decode(ReadinessReport.self, from: Data(down.body.utf8))
        #expect(report.status == "not_ready")
        #expect(report.checks.first { $0.name == "broker" }?.isUp == false)
        #expect(report.checks.first { $0.name == "storage" }?.isUp == true)
        #expect(try await httpGet(daemon.baseURL + "/healthz").status == 200, "liveness does not check dependencies")

        broker = try await MosquittoBroker.start(directory: brokerDirectory, port: port, logger: testLogger)
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })

        try await daemon.stop()
        await broker.stop()
    }

    @Test("/metrics is Prometheus text with request, bus and process metrics")
    func metrics() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await RunningDaemon.start(dataDirectory: directory.url)
        _ = try await httpGet(daemon.baseURL + "/healthz")
        _ = try await httpGet(daemon.baseURL + "/no-such-route")
        let response = try await httpGet(daemon.baseURL + "/metrics")
        #expect(response.status == 200)
        let metrics = try PrometheusText(parsing: response.body)
        #expect(metrics.value("smartnation_http_requests_total", ["route": "/healthz", "status": "200", "method": "GET"]) == 1)
        #expect(metrics.value("smartnation_http_requests_total", ["route": "unmatched", "status": "404"]) == 1)
        #expect(metrics.types["smartnation_http_request_duration_seconds"] == "histogram")
        #expect(metrics.value("smartnation_http_request_duration_seconds_count", ["route": "/healthz"]) == 1)
        #expect(metrics.value("smartnation_bus_published_total") != nil)
        #expect(metrics.value("process_resident_memory_bytes").map { $0 > 1_000_000 } == true)
        try await daemon.stop()
    }

    @Test("the embedded default starts its own broker, becomes ready, and stops the broker on shutdown")
    func embeddedBroker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await RunningDaemon.start(dataDirectory: directory.url)
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })
        let report = try JSONDecoder().decode(
            ReadinessReport.self, from: Data(try await httpGet(daemon.baseURL + "/readyz").body.utf8))
        let brokerDetail = try #require(report.checks.first { $0.name == "broker" }?.detail)
        let port = try #require(Int(brokerDetail.split(separator: ":").last ?? ""))
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("mosquitto/mosquitto.conf").path))
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("events.sqlite").path))

        try await daemon.stop()
        let probe = MQTTClient(configuration: MQTTClientConfiguration(clientID: "probe", port: port), logger: testLogger)
        await #expect(throws: MQTTError.self) { try await probe.connect(timeout: .seconds(2)) }
        await probe.disconnect()
    }

    @Test("the supervisor restarts an embedded broker that dies, and the daemon becomes ready again")
    func embeddedBrokerRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await RunningDaemon.start(dataDirectory: directory.url)
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 200 })
        let configuration = directory.url.appendingPathComponent("mosquitto/mosquitto.conf").path
        let killed = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/pkill"), ["-KILL", "-f", configuration])
        #expect(killed.status == 0, "the embedded broker was running")
        #expect(try await eventually { try await httpGet(daemon.baseURL + "/readyz").status == 503 })
        #expect(try await eventually(timeout: .seconds(30)) { try await httpGet(daemon.baseURL + "/readyz").status == 200 })
        try await daemon.stop()
        #expect(try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", configuration]).status == 1, "no broker is left behind")
    }

    @Test("errors are JSON with a stable code: unknown routes and oversized bodies")
    func errorBodies() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await RunningDaemon.start(dataDirectory: directory.url)
        let missing = try await httpGet(daemon.baseURL + "/nowhere")
        #expect(missing.status == 404)
        #expect(missing.body.contains(#""code":"core.http.404""#))
        var request = HTTPClientRequest(url: daemon.baseURL + "/readyz")
        request.method = .POST
        request.body = .bytes(ByteBuffer(repeating: 0, count: 2 << 20))
        let tooLarge = try await send(request)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.body.contains(#""code":"core.http.request_too_large""#))
        #expect(tooLarge.body.contains(#""message_key":"error.core.http.request_too_large""#))
        try await daemon.stop()
    }

    @Test("the daemon serves the identity platform with demo data, and its audit events reach the durable log, the last ones at shutdown")
    func identityPlatform() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let daemon = try await RunningDaemon.start(
            dataDirectory: directory.url, environment: ["SMARTNATION_DEMO_DATA": "true"], suppliesSealingKey: false)
        let discovery = try await httpGet(daemon.baseURL + "/.well-known/openid-configuration")
        #expect(discovery.status == 200)
        #expect(discovery.body.contains(#""require_pushed_authorization_requests":true"#))
        var login = HTTPClientRequest(url: daemon.baseURL + "/api/identity/sessions")
        login.method = .POST
        login.headers.add(name: "Content-Type", value: "application/json")
        login.body = .bytes(ByteBuffer(string: #"{"identifier":"S1234567D","password":"not-the-password"}"#))
        let refused = try await send(login)
        #expect(refused.status == 401)
        #expect(refused.body.contains("identity.login.wrong_credentials"))
        try await daemon.stop()
        #expect(FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("identity-secret.key").path),
                "with demo data and no key configured, one is generated into the data directory")
        let log = try EventLog(dataDirectory: directory.url)
        let types = try await log.read(after: 0).map(\.event.type)
        #expect(types.contains("sg.smartnation.identity.citizen.registered"))
        #expect(types.contains("sg.smartnation.identity.login.failed"))
    }
}
