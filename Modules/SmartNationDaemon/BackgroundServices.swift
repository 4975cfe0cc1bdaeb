import EventBridge
import Logging
import MQTT
import ServiceLifecycle
import SmartNationCore

/// Runs the bus-over-MQTT bridge once the broker connection is up.
struct BridgeService: Service {
    let bridge: MQTTEventBridge
    let connection: BrokerConnectionService
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown { await connection.waitUntilConnected() }
        guard !Task.isShuttingDownGracefully, connection.client.isConnected else { return }
        logger.info("event bridge running", metadata: ["node": "\(bridge.configuration.nodeID)"])
        do {
            try await cancelWhenGracefulShutdown { try await bridge.run() }
        } catch where Task.isShuttingDownGracefully {
            // Shutdown ends the bridge wherever it is: an MQTT call in flight ends `cancelled` (a
            // daemon stopped right after its broker connection came up), or the bus, which closes
            // first, ends its subscription. Neither is a failure.
            logger.debug("event bridge stopped by shutdown", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}

/// Owns the in-process bus's end: on shutdown it lets subscribers drain what is buffered (within the
/// grace period), then closes the bus so every subscription ends.
struct BusService: Service {
    let bus: EventBus
    let gracePeriod: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let drained = await bus.drain(timeout: gracePeriod)
        bus.shutdown()
        if drained {
            logger.info("event bus drained and closed")
        } else {
            logger.warning("event bus closed before every subscriber drained")
        }
    }
}

/// Applies the event log's retention policy at start-up and then every `interval`.
struct RetentionService: Service {
    let log: EventLog
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await log.applyRetention()
                if report.removedByAge + report.removedBySize > 0 {
                    logger.info("event log retention", metadata: [
                        "removedByAge": "\(report.removedByAge)", "removedBySize": "\(report.removedBySize)",
                    ])
                }
            } catch {
                logger.warning("event log retention failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
