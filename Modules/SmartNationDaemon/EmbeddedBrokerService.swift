import Foundation
import Synchronization
import Logging
import MQTT
import ServiceLifecycle

/// The embedded default broker: a Mosquitto the daemon starts on a free loopback port, restarts on the
/// same port if it dies (with capped exponential backoff), and stops when the daemon shuts down.
final class EmbeddedBrokerService: Service, Sendable {
    /// How long the supervisor waits before the first restart; it doubles up to ``maximumRestartDelay``.
    static let initialRestartDelay: Duration = .milliseconds(250)
    static let maximumRestartDelay: Duration = .seconds(10)
    /// How often the supervisor looks at the broker process.
    static let checkInterval: Duration = .milliseconds(250)

    let port: Int
    private let directory: URL
    private let executable: String?
    private let logger: Logger
    private let current: BrokerHolder

    private init(broker: MosquittoBroker, directory: URL, executable: String?, logger: Logger) {
        self.port = broker.port
        self.directory = directory
        self.executable = executable
        self.logger = logger
        self.current = BrokerHolder(broker)
    }

    /// Starts the broker now, so its address is known before any client is made.
    static func start(directory: URL, executable: String?, logger: Logger) async throws -> EmbeddedBrokerService {
        let broker = try await MosquittoBroker.start(directory: directory, port: nil, executable: executable, logger: logger)
        logger.info("embedded mosquitto started", metadata: ["url": "\(broker.url)", "directory": "\(directory.path)"])
        return EmbeddedBrokerService(broker: broker, directory: directory, executable: executable, logger: logger)
    }

    var url: String { "mqtt://127.0.0.1:\(port)" }

    func run() async throws {
        var delay = Self.initialRestartDelay
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.checkInterval) }
            let broker = current.broker
            if broker.isRunning || Task.isShuttingDownGracefully || Task.isCancelled { continue }
            let status = await broker.waitUntilExit()
            let wait = delay
            logger.error("embedded mosquitto exited; restarting", metadata: ["status": "\(status)", "delay": "\(wait)"])
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            delay = min(delay * 2, Self.maximumRestartDelay)
            do {
                current.broker = try await MosquittoBroker.start(directory: directory, port: port, executable: executable, logger: logger)
                delay = Self.initialRestartDelay
            } catch {
                logger.error("embedded mosquitto did not restart", metadata: ["error": "\(error)"])
            }
        }
        await current.broker.stop()
        logger.info("embedded mosquitto stopped")
    }
}

/// The supervised broker process, replaced on restart.
private final class BrokerHolder: Sendable {
    private let state: Mutex<MosquittoBroker>

    init(_ broker: MosquittoBroker) {
        state = Mutex(broker)
    }

    var broker: MosquittoBroker {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
