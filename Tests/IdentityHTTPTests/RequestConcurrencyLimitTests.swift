import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartNationCore
import SmartNationHTTP
import Synchronization
import Testing

@Suite("Request concurrency limit")
struct RequestConcurrencyLimitTests {
    /// Holds requests inside the handler until released, counting how many are inside at once.
    final class Holder: Sendable {
        private let state = Mutex((inside: 0, most: 0, released: false))
        func enter() { state.withLock { $0.inside += 1; $0.most = max($0.most, $0.inside) } }
        func leave() { state.withLock { $0.inside -= 1 } }
        func release() { state.withLock { $0.released = true } }
        var released: Bool { state.withLock { $0.released } }
        var inside: Int { state.withLock { $0.inside } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test("past the in-flight limit requests wait their turn; past the queue they get 503 core.http.overloaded")
    func limitsAndQueues() async throws {
        let holder = Holder()
        let router = Router(context: SmartNationRequestContext.self)
        router.add(middleware: RequestConcurrencyLimit(inFlightMax: 2, waitingMax: 1))
        router.get("/slow") { _, _ in
            holder.enter()
            defer { holder.leave() }
            for _ in 0..<2000 where !holder.released { try await Task.sleep(for: .milliseconds(5)) }
            return "done"
        }
        try await Application(router: router).test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await client.execute(uri: "/slow", method: .get).status }
                }
                for _ in 0..<1000 where holder.inside < 2 { try await Task.sleep(for: .milliseconds(5)) }
                #expect(holder.inside == 2)
                try await Task.sleep(for: .milliseconds(100))
                let refused = try await client.execute(uri: "/slow", method: .get)
                #expect(refused.status == .serviceUnavailable)
                #expect(String(buffer: refused.body).contains("core.http.overloaded"))
                holder.release()
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses == [.ok, .ok, .ok])
            }
        }
        #expect(holder.most == 2)
    }
}
