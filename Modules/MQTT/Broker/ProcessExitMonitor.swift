import Synchronization

/// Records a child process's exit status and wakes the tasks waiting for it.
final class ProcessExitMonitor: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [UInt64: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The exit status, or `nil` while the process runs.
    var status: Int32? { state.withLock { $0.status } }

    /// Called from the process's termination handler.
    func processExited(status: Int32) {
        let waiters = state.withLock { state in
            state.status = status
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(returning: status)
        }
    }

    /// Waits for the exit; returns `nil` when `timeout` passes first. Without a timeout it waits
    /// for as long as the process runs.
    func waitForExit(timeout: Duration?) async -> Int32? {
        let waiterID = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
        let timer = deadline.map { deadline in
            Task { [weak self] in
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                self?.stopWaiting(waiterID)
            }
        }
        defer { timer?.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
            // A registration after the deadline would miss the timer, so it answers at once.
            let outcome = state.withLock { state -> Int32?? in
                if let status = state.status { return .some(status) }
                if let deadline, ContinuousClock.now >= deadline { return .some(nil) }
                state.waiters[waiterID] = continuation
                return .none
            }
            if case .some(let status) = outcome {
                continuation.resume(returning: status)
            }
        }
    }

    private func stopWaiting(_ waiterID: UInt64) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: waiterID) }
        waiter?.resume(returning: nil)
    }
}
