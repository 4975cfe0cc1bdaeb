import EventBridge
import IdentityHTTP
import Foundation
import Hummingbird
import Logging
import MQTT
import NIOCore
import ServiceLifecycle
import SmartNationCore
import SmartNationHTTP
import Synchronization
import UnixSignals

/// The unified daemon: storage, the event bus and its durable log, the broker connection (an embedded
/// Mosquitto unless `mqtt.url` names one), the bus-over-MQTT bridge and the HTTP API, run as one
/// ServiceLifecycle group.
///
/// Start-up order: data directory and event log, embedded broker, broker connection, bridge, bus,
/// retention, HTTP. Shutdown (SIGTERM, SIGINT, or cancelling ``run()``) goes in reverse: the HTTP server
/// stops accepting and drains in-flight requests, the bus drains and closes, the bridge stops, the
/// client disconnects cleanly, the embedded broker is stopped, and the databases close.
public final class SmartNationDaemon: Sendable {
    /// Where the HTTP server listens once it is up.
    public struct ListeningAddress: Sendable, Hashable {
        /// The bound host.
        public var host: String
        /// The bound port (the real one when the configuration asked for port 0).
        public var port: Int
        /// `http://host:port`.
        public var url: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    /// The settings the daemon runs with.
    public let configuration: SmartNationConfiguration
    private let logger: Logger
    private let handlesSignals: Bool
    private let onListening: @Sendable (ListeningAddress) async -> Void
    private let runningGroup = Mutex<ServiceGroup?>(nil)

    /// Creates a daemon.
    ///
    /// - Parameters:
    ///   - configuration: checked settings, from ``ConfigurationLoader``.
    ///   - logger: the root logger; components log under it with their own metadata.
    ///   - handlesSignals: whether SIGTERM and SIGINT start a graceful shutdown (off in tests that run
    ///     several daemons in one process and stop them by cancelling).
    ///   - onListening: called once the HTTP server is bound.
    public init(
        configuration: SmartNationConfiguration,
        logger: Logger,
        handlesSignals: Bool = true,
        onListening: @escaping @Sendable (ListeningAddress) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.handlesSignals = handlesSignals
        self.onListening = onListening
    }

    /// Runs until a signal or cancellation, then shuts down gracefully.
    public func run() async throws {
        try DataDirectory.prepare(configuration.dataDirectory)
        let identitySecretKey = try IdentityAssembly.sealingKey(configuration: configuration, logger: logger)
        let log = try EventLog(dataDirectory: configuration.dataDirectory, retention: configuration.eventRetention)
        let bus = EventBus(configuration: .init(defaultBufferCapacity: configuration.busBufferCapacity))

        var services: [any Service] = []
        let brokerURL: MQTTBrokerURL
        if let url = configuration.mqtt.url {
            brokerURL = try MQTTBrokerURL(parsing: url)
        } else {
            let embedded = try await EmbeddedBrokerService.start(
                directory: configuration.dataDirectory.appendingPathComponent("mosquitto", isDirectory: true),
                executable: configuration.mqtt.mosquittoExecutable,
                logger: logger)
            services.append(embedded)
            brokerURL = try MQTTBrokerURL(parsing: embedded.url)
        }
        let nodeID = "\(configuration.mqtt.clientID)-\(ProcessInfo.processInfo.processIdentifier)-\(EventID.make().suffix(8))"
        let client = MQTTClient(configuration: clientConfiguration(brokerURL: brokerURL, clientID: nodeID), logger: logger)
        let connection = BrokerConnectionService(client: client, reconnect: MQTTReconnectPolicy(), logger: logger)
        services.append(connection)

        var bridge: MQTTEventBridge?
        if configuration.bridge.isEnabled {
            let instance = MQTTEventBridge(
                configuration: .init(nodeID: nodeID, publishPatterns: configuration.bridge.publishPatterns,
                                     bufferCapacity: configuration.busBufferCapacity),
                bus: bus, client: client, logger: logger)
            services.append(BridgeService(bridge: instance, connection: connection, logger: logger))
            bridge = instance
        }
        services.append(BusService(bus: bus, gracePeriod: configuration.shutdownGracePeriod, logger: logger))
        services.append(RetentionService(log: log, interval: .seconds(300), logger: logger))

        let identity = try await IdentityAssembly.open(configuration: configuration, secretKey: identitySecretKey, log: log, bus: bus, logger: logger)
        services.append(contentsOf: identity.services)

        let metrics = DaemonMetrics()
        let probe = ReadinessProbe(
            log: log, dataDirectory: configuration.dataDirectory, client: client, brokerDescription: brokerURL.description)
        services.append(makeHTTPApplication(
            routes: OperationalRoutes(probe: probe, metrics: metrics, bus: bus, log: log, bridge: bridge), identity: identity.routes,
            metrics: metrics))

        let group = ServiceGroup(
            configuration: .init(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [],
                logger: logger))
        runningGroup.withLock { $0 = group }
        defer { runningGroup.withLock { $0 = nil } }
        try await group.run()
        logger.info("smartnationd stopped")
    }

    /// Starts a graceful shutdown, as SIGTERM does; ``run()`` returns once it is complete.
    public func shutdown() async {
        await runningGroup.withLock { $0 }?.triggerGracefulShutdown()
    }

    private func clientConfiguration(brokerURL: MQTTBrokerURL, clientID: String) -> MQTTClientConfiguration {
        var settings = MQTTClientConfiguration(clientID: clientID, brokerURL: brokerURL)
        settings.keepAliveSeconds = configuration.mqtt.keepAliveSeconds
        if let caFile = configuration.mqtt.caFile {
            settings.tls = MQTTTLSConfiguration(
                caFile: caFile, certificateFile: configuration.mqtt.certificateFile, keyFile: configuration.mqtt.keyFile)
        }
        return settings
    }

    private func makeHTTPApplication(routes: OperationalRoutes, identity: IdentityRoutes, metrics: DaemonMetrics) -> some Service {
        let router = Router(context: SmartNationRequestContext.self)
        router.add(middleware: RequestExecutorMiddleware())
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: RequestConcurrencyLimit())
        router.add(middleware: ErrorResponseMiddleware(maximumBodyByteCount: configuration.http.maximumBodyByteCount, logger: logger))
        routes.add(to: router)
        identity.add(to: router)
        let host = configuration.http.host
        let onListening = onListening
        let logger = logger
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: configuration.http.port), serverName: "smartnationd"),
            onServerRunning: { channel in
                let address = ListeningAddress(host: host, port: channel.localAddress?.port ?? 0)
                logger.info("smartnationd listening", metadata: ["url": "\(address.url)"])
                await onListening(address)
            },
            logger: logger)
    }
}
