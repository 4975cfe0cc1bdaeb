import Hummingbird

/// Records every request's route, method, status and latency in ``DaemonMetrics``.
///
/// The route label is the matched route's pattern (`/users/{id}`, never the raw path), or `unmatched`,
/// so label cardinality stays bounded whatever clients send.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: DaemonMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status.code, since: start, clock: clock)
            return response
        } catch let error as any HTTPResponseError {
            record(request, context: context, status: error.status.code, since: start, clock: clock)
            throw error
        } catch {
            record(request, context: context, status: 500, since: start, clock: clock)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant, clock: ContinuousClock) {
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: status, duration: clock.now - start)
    }
}
