import DequeModule
import Hummingbird
import SmartNationCore
import Synchronization

/// Bounds the requests a router handles at once. Past ``inFlightMax`` a request waits its turn
/// (suspended, holding no thread); past ``waitingMax`` waiting it is refused at once with 503
/// `core.http.overloaded`.
///
/// Why: a GRDB pool makes a read wait for a free reader connection on a blocked thread; with more
/// concurrent reads than readers, a 2-core machine runs out of threads and stops. Keeping in-flight
/// requests below ``PlatformDatabase/readerCountMax`` means a read never waits for a reader.
public struct RequestConcurrencyLimit<Context: RequestContext>: RouterMiddleware {
    private let gate: RequestGate

    /// The most requests handled at once.
    public var inFlightMax: Int { gate.inFlightMax }
    /// The most requests waiting for a turn.
    public var waitingMax: Int { gate.waitingMax }

    /// A limit of `inFlightMax` requests at once and `waitingMax` waiting.
    public init(inFlightMax: Int = PlatformDatabase.readerCountMax * 3 / 4, waitingMax: Int = 4096) {
        precondition(inFlightMax > 0 && waitingMax >= 0)
        gate = RequestGate(inFlightMax: inFlightMax, waitingMax: waitingMax)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await gate.enter()
        defer { gate.leave() }
        return try await next(request, context)
    }
}

/// A counting semaphore whose waiters are continuations in a bounded queue.
final class RequestGate: Sendable {
    private enum Admission { case admitted, queued, refused }

    private struct State {
        var inFlight = 0
        var waiting = Deque<CheckedContinuation<Void, Never>>()
    }

    let inFlightMax: Int
    let waitingMax: Int
    private let state = Mutex(State())

    init(inFlightMax: Int, waitingMax: Int) {
        self.inFlightMax = inFlightMax
        self.waitingMax = waitingMax
    }

    /// Takes a turn, waiting for one when all are taken; refuses when the queue is full.
    func enter() async throws(SmartNationError) {
        var admission = Admission.refused
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            admission = state.withLock { state in
                if state.inFlight < inFlightMax {
                    state.inFlight += 1
                    return .admitted
                }
                guard state.waiting.count < waitingMax else { return .refused }
                state.waiting.append(continuation)
                return .queued
            }
            if admission != .queued { continuation.resume() }
        }
        guard admission != .refused else {
            throw SmartNationError(.httpOverloaded, parameters: ["in_flight_max": String(inFlightMax)], httpStatus: 503)
        }
    }

    /// Gives the turn to the longest waiter, or frees it.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let next = state.waiting.popFirst() { return next }
            state.inFlight -= 1
            assert(state.inFlight >= 0, "every leave follows an enter")
            return nil
        }
        next?.resume()
    }
}

extension SmartNationError.Code {
    /// The daemon has more requests waiting than it queues; retry later.
    public static let httpOverloaded = Self("core.http.overloaded")
}
