import Logging
import MQTT
import ServiceLifecycle

/// Keeps the daemon's MQTT client connected: the first connection is retried with the client's backoff
/// policy until it succeeds (a broker that is down at start-up does not stop the daemon; `/readyz`
/// says so), later losses are the client's own reconnects, and shutdown disconnects cleanly.
final class BrokerConnectionService: Service, Sendable {
    let client: MQTTClient
    private let reconnect: MQTTReconnectPolicy
    private let logger: Logger

    init(client: MQTTClient, reconnect: MQTTReconnectPolicy, logger: Logger) {
        self.client = client
        self.reconnect = reconnect
        self.logger = logger
    }

    /// Returns once the client is connected, or when the task is cancelled.
    func waitUntilConnected() async {
        while !client.isConnected && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func run() async throws {
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await client.connect()
                break
            } catch {
                failures += 1
                let delay = reconnect.delay(afterFailedAttempts: failures, using: &generator)
                logger.warning("broker not reachable; retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
        }
        if client.isConnected {
            logger.info("connected to the broker")
            try? await gracefulShutdown()
        }
        await client.disconnect()
        logger.info("disconnected from the broker")
    }
}
