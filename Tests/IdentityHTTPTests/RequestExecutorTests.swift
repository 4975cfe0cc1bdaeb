import Dispatch
import Foundation
import Hummingbird
import HummingbirdTesting
import SmartNationHTTP
import Testing

@Suite("Request executor")
struct RequestExecutorTests {
    /// The name of the thread the caller runs on, as Linux reports it.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("route handlers run on the executor's own threads")
    func handlersRunOnExecutor() async throws {
        let router = Router(context: SmartNationRequestContext.self)
        router.add(middleware: RequestExecutorMiddleware(executor: RequestExecutor(threadCount: 2)))
        router.get("/thread") { _, _ in Self.threadName() }
        try await Application(router: router).test(.router) { client in
            for _ in 0..<20 {
                let response = try await client.execute(uri: "/thread", method: .get)
                #expect(String(buffer: response.body).hasPrefix("sn-request-"))
            }
        }
    }

    @Test("its threads run jobs at the same time: two jobs that each wait for the other both finish")
    func runsJobsInParallel() async throws {
        let executor = RequestExecutor(threadCount: 2)
        let first = DispatchSemaphore(value: 0)
        let second = DispatchSemaphore(value: 0)
        // Each job blocks its thread until the other has started; on one thread the first would time out.
        async let a = Task(executorPreference: executor) {
            first.signal()
            return (Self.threadName(), second.wait(timeout: .now() + 5) == .success)
        }.value
        async let b = Task(executorPreference: executor) {
            second.signal()
            return (Self.threadName(), first.wait(timeout: .now() + 5) == .success)
        }.value
        let (threadA, metB) = await a
        let (threadB, metA) = await b
        #expect(metA && metB)
        #expect(threadA.hasPrefix("sn-request-"))
        #expect(threadB.hasPrefix("sn-request-"))
        #expect(threadA != threadB)
    }
}
