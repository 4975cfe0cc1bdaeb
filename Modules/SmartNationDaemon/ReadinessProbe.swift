import Foundation
import MQTT
import SmartNationCore

/// Decides whether the daemon is ready to serve: its storage answers and its broker is connected.
struct ReadinessProbe: Sendable {
    let log: EventLog
    let dataDirectory: URL
    let client: MQTTClient
    let brokerDescription: String

    func check() async -> ReadinessReport {
        var storage = ReadinessReport.Check(name: "storage", isUp: true, detail: "event log readable in \(dataDirectory.path)")
        do {
            try DataDirectory.prepare(dataDirectory)
            try await log.checkReadable()
        } catch {
            storage = ReadinessReport.Check(name: "storage", isUp: false, detail: error.description)
        }
        let connected = client.isConnected
        let broker = ReadinessReport.Check(
            name: "broker", isUp: connected,
            detail: connected ? "connected to \(brokerDescription)" : "not connected to \(brokerDescription)")
        return ReadinessReport(checks: [storage, broker])
    }
}
