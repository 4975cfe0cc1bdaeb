import EventBridge
import Foundation
import Hummingbird
import NIOCore
import SmartNationCore
import SmartNationHTTP

/// The routes every operator and orchestrator relies on.
///
/// - `GET /livez`, `GET /healthz`: the process is alive (no dependency checks), 200.
/// - `GET /readyz`: storage and broker reachable; a ``ReadinessReport`` as JSON, 200 or 503.
/// - `GET /metrics`: Prometheus text exposition.
struct OperationalRoutes: Sendable {
    let probe: ReadinessProbe
    let metrics: DaemonMetrics
    let bus: EventBus
    let log: EventLog
    let bridge: MQTTEventBridge?

    func add<Context: RequestContext>(to router: Router<Context>) {
        let alive: @Sendable (Request, Context) async throws -> Response = { _, _ in
            jsonResponse(.object(["status": .string("alive")]))
        }
        router.get("/livez", use: alive)
        router.get("/healthz", use: alive)
        router.get("/readyz") { _, _ in
            let report = await probe.check()
            let body = try JSONEncoder().encode(report)
            return Response(
                status: report.isReady ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { _, _ in
            let text = metrics.render(bus: bus.statistics, logLastOffset: log.lastOffset, bridge: bridge?.statistics)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
