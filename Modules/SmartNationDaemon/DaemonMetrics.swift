import EventBridge
import Foundation
import Prometheus
import SmartNationCore
import Synchronization

/// The daemon's Prometheus metrics: HTTP requests by route and status with a latency histogram,
/// the bus's published, delivered and lag figures, the bridge's counters, and the process figures.
///
/// Request metrics are recorded as requests finish; the rest are sampled from their owners each time
/// `/metrics` is scraped, so the hot paths of the bus carry no metrics code at all.
public final class DaemonMetrics: Sendable {
    /// The registry every metric lives in.
    public let registry = PrometheusCollectorRegistry()
    private let mirroredTotals = Mutex<[String: Int]>([:])

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5),
    ]

    /// Creates an empty set of metrics.
    public init() {}

    /// Records one finished HTTP request.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.descriptor("http_requests", unit: "total", help: "HTTP requests by route, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.descriptor("http_request_duration", unit: "seconds", help: "HTTP request latency by route."),
            labels: [("route", route)],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Samples the bus, the event log's head, the bridge and the process, then renders the text exposition.
    func render(bus: EventBusStatistics, logLastOffset: Int64, bridge: MQTTEventBridge.Statistics?) -> [UInt8] {
        mirrorTotal("bus_published", help: "Events published on the in-process bus.", labels: [], value: bus.publishedCount)
        for subscription in bus.subscriptions {
            let labels = [("subscription", subscription.name)]
            mirrorTotal("bus_delivered", help: "Events taken by each subscriber.", labels: labels, value: subscription.deliveredCount)
            mirrorTotal("bus_publisher_waits", help: "Times a publisher waited for a full subscriber.", labels: labels,
                        value: subscription.publisherWaitCount)
            gauge("bus_lag", unit: "events", help: "Events waiting for each subscriber.", labels: labels)
                .set(Double(subscription.bufferedCount))
        }
        gauge("event_log_last_offset", unit: "", help: "The offset of the newest event in the durable log.", labels: [])
            .set(Double(logLastOffset))
        if let bridge {
            mirrorTotal("bridge_sent", help: "Local events published to MQTT.", labels: [], value: bridge.sentCount)
            mirrorTotal("bridge_received", help: "Remote events published on the local bus.", labels: [], value: bridge.receivedCount)
            mirrorTotal("bridge_duplicates", help: "Echoes and redeliveries dropped.", labels: [], value: bridge.duplicateCount)
            mirrorTotal("bridge_rejected", help: "Malformed or unsendable events.", labels: [], value: bridge.rejectedCount)
        }
        if let process = ProcessStatistics.current() {
            processGauge("resident_memory", "bytes", "Resident memory size.").set(process.residentMemoryBytes)
            processGauge("virtual_memory", "bytes", "Virtual memory size.").set(process.virtualMemoryBytes)
            processGauge("cpu", "seconds_total", "User and system CPU time spent.").set(process.cpuSeconds)
            processGauge("open_fds", "", "Open file descriptors.").set(process.openFileDescriptors)
            processGauge("start_time", "seconds", "Start time since the Unix epoch.").set(process.startTimeSeconds)
        }
        return registry.emitToBuffer()
    }

    /// Brings a counter up to a total its owner keeps, adding only the difference since the last scrape.
    private func mirrorTotal(_ name: String, help: String, labels: [(String, String)], value: Int) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = mirroredTotals.withLock { totals -> Int in
            let previous = totals[key] ?? 0
            totals[key] = max(previous, value)
            return max(0, value - previous)
        }
        registry.makeCounter(descriptor: Self.descriptor(name, unit: "total", help: help), labels: labels)
            .increment(by: Int64(delta))
    }

    private func gauge(_ name: String, unit: String, help: String, labels: [(String, String)]) -> Gauge {
        registry.makeGauge(descriptor: Self.descriptor(name, unit: unit, help: help), labels: labels)
    }

    private func processGauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "process", metricName: name, unitName: unit, helpText: help),
            labels: [])
    }

    private static func descriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "smartnation", metricName: name, unitName: unit, helpText: help)
    }
}
