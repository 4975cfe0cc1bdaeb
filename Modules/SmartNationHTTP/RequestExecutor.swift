import DequeModule
import Dispatch
import Foundation
import Hummingbird
import Synchronization

/// A task executor of one thread per core that request handlers run on.
///
/// Why: on Linux, Swift's global executor is libdispatch's root queue, which wakes a second worker
/// only when the queue was empty. Jobs fed continuously from SwiftNIO's event-loop threads keep it
/// non-empty, so one worker ran nearly all the handlers' work while the other core idled (measured:
/// one `default-qos` thread at ~100% of a core, the machine a third idle). The same route doing the
/// token endpoint's ES256 work answered 5,300–6,600 requests/s on the global executor and
/// 7,900–8,800/s on this one.
///
/// Jobs wait in a FIFO queue; its length is bounded by the requests in flight, which
/// ``RequestConcurrencyLimit`` bounds. The threads live as long as the process.
public final class RequestExecutor: TaskExecutor, Sendable {
    /// The process's executor, one thread per active core.
    public static let shared = RequestExecutor(threadCount: ProcessInfo.processInfo.activeProcessorCount)

    private let jobs = Mutex(Deque<UnownedJob>())
    private let available = DispatchSemaphore(value: 0)

    /// An executor running jobs on `threadCount` threads of its own.
    public init(threadCount: Int) {
        precondition(threadCount > 0, "an executor needs a thread")
        for index in 0..<threadCount {
            Thread { [self] in
                Self.nameCurrentThread("sn-request-\(index)")
                runJobs()
            }.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    /// Names the calling thread for `top -H`, `perf` and `gdb` (at most 15 bytes). Foundation's
    /// `Thread.name` reaches the kernel only when the thread object knows its pthread, which races
    /// with the start of the thread; the kernel's own file for the name does not.
    private static func nameCurrentThread(_ name: String) {
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        defer { close(file) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
    }

    private func runJobs() -> Never {
        while true {
            available.wait()
            guard let job = jobs.withLock({ $0.popFirst() }) else {
                preconditionFailure("a signal stands for one queued job")
            }
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs the rest of the middleware chain and the route handler on ``RequestExecutor``.
public struct RequestExecutorMiddleware<Context: RequestContext>: RouterMiddleware {
    private let executor: RequestExecutor

    /// Handlers run on `executor` (the process's shared one unless a test wants its own).
    public init(executor: RequestExecutor = .shared) {
        self.executor = executor
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await withTaskExecutorPreference(executor) { try await next(request, context) }
    }
}
