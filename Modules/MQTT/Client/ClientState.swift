/// Where a client stands. Every transition happens under `ClientCore`'s mutex.
///
/// ```
/// idle ──connect──▶ connecting ──CONNACK──▶ connected ◀──CONNACK── reconnecting
///                       │                       └──────loss────────────▲
///                       └─refused/timeout─▶ stopping(idle) ─thread exit─▶ idle
/// any ──disconnect──▶ stopping(closed) ──thread exit──▶ closed
/// ```
enum ClientPhase: Equatable, Sendable {
    case idle
    case connecting
    case connected
    case reconnecting
    /// The network thread was told to stop; the phase to take once it has exited.
    case stopping(then: StopDestination)
    case closed
}

/// Where a stopping client goes once its network thread has exited.
enum StopDestination: Equatable, Sendable {
    /// Back to the start: a first connection attempt was abandoned; `connect()` may be called again.
    case idle
    /// For good: `disconnect()` was called or the client was released.
    case closed
}

/// How a `connect()` wait ends.
enum ConnectOutcome: Sendable {
    case connected
    case failed(MQTTError)
    /// An abandoned attempt is still stopping; wait for it, then start afresh.
    case retryAfterStop
}

typealias ConnectContinuation = CheckedContinuation<ConnectOutcome, Never>

/// What the network thread does next after a connection ended.
enum LoopDecision: Equatable {
    case stop
    case retry(failedAttempts: Int)
}

/// What the network thread does at the top of each turn.
enum NetworkDirective: Equatable {
    case run
    /// Send DISCONNECT, so the broker discards the last will.
    case stopCleanly
    /// Close the socket without DISCONNECT, so the broker publishes the last will.
    case stopAbruptly
}

/// Work decided under the lock and carried out after it is released: resuming continuations and
/// emitting events may run arbitrary code, which must never run while the lock is held.
struct ClientEffects: Sendable {
    var connectOutcomes: [(ConnectContinuation, ConnectOutcome)] = []
    var acknowledgementOutcomes: [(AcknowledgementContinuation, Result<Int32, MQTTError>)] = []
    var networkThreadExits: [CheckedContinuation<Void, Never>] = []
    var events: [MQTTConnectionEvent] = []
}

/// The mutable state of a client and its transitions.
struct ClientState {
    private(set) var phase: ClientPhase = .idle
    private var stopsAbruptly = false
    /// Incremented when a network thread starts; identifies the run that exit waiters wait for.
    private(set) var networkRun: UInt64 = 0
    private(set) var isNetworkThreadRunning = false
    /// Incremented on every accepted CONNACK, so a wait can tell that its connection was replaced.
    private(set) var connectionNumber: UInt64 = 0
    private var connectWaiters: [UInt64: ConnectContinuation] = [:]
    private var networkThreadExitWaiters: [CheckedContinuation<Void, Never>] = []
    private var nextToken: UInt64 = 0
    var acknowledgements = AcknowledgementTable()
    /// The subscriptions to renew after a reconnection without a session, by topic filter.
    private(set) var subscriptions: [String: MQTTQoS] = [:]
    private var pendingResubscriptions: Set<Int32> = []
    /// A CONNACK refusal, noted by the callback until the network thread sees the connection end.
    private var refusal: MQTTError?
    /// Why the latest connection attempt failed, for the error a timed-out `connect()` throws.
    private var lastFailure: MQTTError?
    private var failedAttemptCount = 0
    private var isFinalized = false

    var networkDirective: NetworkDirective {
        guard case .stopping = phase else { return .run }
        return stopsAbruptly ? .stopAbruptly : .stopCleanly
    }

    /// A fresh token for a waiter's identity.
    mutating func makeToken() -> UInt64 {
        nextToken += 1
        return nextToken
    }

    // MARK: connecting

    /// What `connect()` does after registering (or not) its waiter.
    enum ConnectStart {
        case startNetworkThread
        case wait
        case resume(ConnectOutcome)
    }

    mutating func beginConnect(
        waiter: UInt64,
        continuation: ConnectContinuation,
        isPastDeadline: Bool,
        isCancelled: Bool
    ) -> ConnectStart {
        switch phase {
        case .connected:
            return .resume(.connected)
        case .closed, .stopping(then: .closed):
            return .resume(.failed(MQTTError(.disconnected)))
        case .stopping(then: .idle):
            return .resume(.retryAfterStop)
        case .idle, .connecting, .reconnecting:
            break
        }
        if isCancelled { return .resume(.failed(MQTTError(.cancelled))) }
        if isPastDeadline { return .resume(.failed(timeoutError())) }
        connectWaiters[waiter] = continuation
        guard phase == .idle else { return .wait }
        phase = .connecting
        networkRun += 1
        isNetworkThreadRunning = true
        failedAttemptCount = 0
        lastFailure = nil
        refusal = nil
        return .startNetworkThread
    }

    /// Ends one `connect()` wait early (time limit or cancellation). Returns whether the network thread
    /// must be woken because nobody waits for the first connection any more.
    mutating func failConnectWaiter(_ waiter: UInt64, timedOut: Bool, effects: inout ClientEffects) -> Bool {
        guard let continuation = connectWaiters.removeValue(forKey: waiter) else { return false }
        let error = timedOut ? timeoutError() : MQTTError(.cancelled)
        effects.connectOutcomes.append((continuation, .failed(error)))
        guard phase == .connecting, connectWaiters.isEmpty else { return false }
        phase = .stopping(then: .idle)
        stopsAbruptly = false
        return true
    }

    /// The network thread could not even start (the handle rejected the settings).
    mutating func networkThreadFailedToStart(_ error: MQTTError, effects: inout ClientEffects) {
        failConnectWaiters(with: error, effects: &effects)
        if phase == .connecting {
            phase = .stopping(then: .idle)
        }
        networkThreadExited(effects: &effects)
    }

    /// The broker accepted the connection. Returns the subscriptions to renew.
    mutating func connectionAccepted(sessionPresent: Bool, effects: inout ClientEffects) -> [(String, MQTTQoS)] {
        failedAttemptCount = 0
        lastFailure = nil
        refusal = nil
        let wasReconnecting = phase == .reconnecting
        guard phase == .connecting || wasReconnecting else { return [] }
        phase = .connected
        connectionNumber += 1
        for continuation in connectWaiters.values {
            effects.connectOutcomes.append((continuation, .connected))
        }
        connectWaiters.removeAll()
        guard wasReconnecting else {
            effects.events.append(.connected)
            return []
        }
        if sessionPresent || subscriptions.isEmpty {
            effects.events.append(.reconnected)
            return []
        }
        return subscriptions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The renewing SUBSCRIBEs were queued; `.reconnected` follows once each is acknowledged.
    mutating func resubscriptionsSent(_ identifiers: [Int32: String], effects: inout ClientEffects) {
        guard phase == .connected else { return }
        for (identifier, topicFilter) in identifiers {
            acknowledgements.ignore(identifier, operation: .resubscribe(topicFilter: topicFilter))
            pendingResubscriptions.insert(identifier)
        }
        if pendingResubscriptions.isEmpty {
            effects.events.append(.reconnected)
        }
    }

    /// The broker refused the connection in its CONNACK; the connection ends right after.
    mutating func connectionRefused(_ error: MQTTError) {
        refusal = error
    }

    /// A connection (or an attempt at one) ended. `error` is nil after a clean DISCONNECT.
    mutating func connectionEnded(_ error: MQTTError?, effects: inout ClientEffects) -> LoopDecision {
        let reason = refusal ?? error ?? MQTTError(.connectionLost, parameters: ["reason": "the connection closed"])
        refusal = nil
        switch phase {
        case .idle, .closed, .stopping:
            return .stop
        case .connecting:
            lastFailure = reason
            guard Self.isWorthRetrying(reason) else {
                failConnectWaiters(with: reason, effects: &effects)
                phase = .stopping(then: .idle)
                stopsAbruptly = false
                return .stop
            }
        case .connected:
            phase = .reconnecting
            pendingResubscriptions.removeAll()
            failedAttemptCount = 0
            effects.events.append(.connectionLost(reason))
            let lostError = MQTTError(.connectionLost, parameters: reason.parameters)
            for waiter in acknowledgements.connectionLost() {
                effects.acknowledgementOutcomes.append((waiter.continuation, .failure(lostError)))
            }
        case .reconnecting:
            lastFailure = reason
            if reason.code == .connectionRefused {
                failConnectWaiters(with: reason, effects: &effects)
            }
        }
        failedAttemptCount += 1
        return .retry(failedAttempts: failedAttemptCount)
    }

    /// The network thread has exited.
    mutating func networkThreadExited(effects: inout ClientEffects) {
        isNetworkThreadRunning = false
        effects.networkThreadExits.append(contentsOf: networkThreadExitWaiters)
        networkThreadExitWaiters.removeAll()
        switch phase {
        case .stopping(then: .closed), .closed:
            phase = .closed
        case .stopping(then: .idle), .idle, .connecting, .connected, .reconnecting:
            assert(phase == .stopping(then: .idle), "the network thread exits only when told to stop")
            phase = .idle
            pendingResubscriptions.removeAll()
            failConnectWaiters(with: lastFailure ?? MQTTError(.notConnected), effects: &effects)
            for waiter in acknowledgements.removeAll() {
                effects.acknowledgementOutcomes.append((waiter.continuation, .failure(MQTTError(.notConnected))))
            }
        }
    }

    /// Registers a wait for the network thread of `run` to exit; false when it has exited already.
    mutating func awaitNetworkThreadExit(of run: UInt64, continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard isNetworkThreadRunning, run == networkRun else { return false }
        networkThreadExitWaiters.append(continuation)
        return true
    }

    // MARK: operations

    /// The number of the current connection, or `.notConnected`.
    func requireConnection() throws(MQTTError) -> UInt64 {
        guard phase == .connected else {
            throw MQTTError(.notConnected, parameters: ["phase": String(describing: phase)])
        }
        return connectionNumber
    }

    /// Forgets a subscription before UNSUBSCRIBE is sent, so a reconnection does not renew it.
    mutating func beginUnsubscribe(_ topicFilter: String) throws(MQTTError) -> UInt64 {
        let connection = try requireConnection()
        subscriptions[topicFilter] = nil
        return connection
    }

    /// Registers a task waiting for the acknowledgement of `identifier`, sent on connection `connection`.
    /// Returns the outcome when it is known already.
    mutating func registerWaiter(
        _ identifier: Int32,
        operation: AcknowledgedOperation,
        connection: UInt64,
        waiter: AcknowledgementWaiter,
        isCancelled: Bool,
        effects: inout ClientEffects
    ) -> Result<Int32, MQTTError>? {
        if let value = acknowledgements.takeArrived(identifier) {
            record(operation, acknowledgedWith: value)
            return .success(value)
        }
        let failure: MQTTError? =
            if phase == .closed || phase == .stopping(then: .closed) {
                MQTTError(.disconnected)
            } else if operation.isLostWithConnection && (phase != .connected || connection != connectionNumber) {
                MQTTError(.connectionLost)
            } else if isCancelled {
                MQTTError(.cancelled)
            } else {
                nil
            }
        if let failure {
            acknowledgements.ignore(identifier, operation: operation)
            return .failure(failure)
        }
        if let displaced = acknowledgements.register(identifier, operation: operation, waiter: waiter) {
            let error = MQTTError(.protocolError, parameters: ["reason": "packet identifier \(identifier) reused"])
            effects.acknowledgementOutcomes.append((displaced.continuation, .failure(error)))
        }
        return nil
    }

    /// An acknowledgement (PUBACK, SUBACK, UNSUBACK, or a QoS 0 publish written out) arrived.
    mutating func acknowledgementArrived(_ identifier: Int32, value: Int32, effects: inout ClientEffects) {
        let completion = acknowledgements.acknowledge(identifier, value: value)
        if let operation = completion.operation {
            record(operation, acknowledgedWith: value)
        }
        if let waiter = completion.waiter {
            effects.acknowledgementOutcomes.append((waiter.continuation, .success(value)))
        }
        if case .resubscribe? = completion.operation,
            pendingResubscriptions.remove(identifier) != nil,
            pendingResubscriptions.isEmpty,
            phase == .connected
        {
            effects.events.append(.reconnected)
        }
    }

    // MARK: disconnecting

    /// What `disconnect()` does after the transition.
    enum DisconnectStart: Equatable {
        /// Send DISCONNECT now (the connection is up), then wait for the network thread.
        case sendDisconnect(run: UInt64)
        /// Wake the network thread (sleeping or connecting) and wait for it.
        case wake(run: UInt64)
        /// No network thread runs: finish at once.
        case finish
    }

    /// Starts closing the client for good. Pending waits fail with `.disconnected` right away.
    mutating func beginDisconnect(abruptly: Bool, effects: inout ClientEffects) -> DisconnectStart {
        let start: DisconnectStart
        switch phase {
        case .idle, .closed:
            phase = .closed
            start = .finish
        case .connected:
            start = abruptly ? .wake(run: networkRun) : .sendDisconnect(run: networkRun)
        case .connecting, .reconnecting, .stopping:
            start = .wake(run: networkRun)
        }
        if phase != .closed {
            phase = .stopping(then: .closed)
            stopsAbruptly = abruptly
        }
        failConnectWaiters(with: MQTTError(.disconnected), effects: &effects)
        for waiter in acknowledgements.removeAll() {
            effects.acknowledgementOutcomes.append((waiter.continuation, .failure(MQTTError(.disconnected))))
        }
        return start
    }

    /// Marks the client finished once; returns false when it was finished already.
    mutating func finalize(effects: inout ClientEffects) -> Bool {
        guard !isFinalized else { return false }
        isFinalized = true
        subscriptions.removeAll()
        effects.events.append(.disconnected)
        return true
    }

    // MARK: helpers

    private mutating func failConnectWaiters(with error: MQTTError, effects: inout ClientEffects) {
        for continuation in connectWaiters.values {
            effects.connectOutcomes.append((continuation, .failed(error)))
        }
        connectWaiters.removeAll()
    }

    private mutating func record(_ operation: AcknowledgedOperation, acknowledgedWith value: Int32) {
        if case .subscribe(let topicFilter, let qos) = operation, value != MosquittoLibrary.subscriptionFailure {
            subscriptions[topicFilter] = qos
        }
    }

    private func timeoutError() -> MQTTError {
        var parameters: [String: String] = [:]
        if let lastFailure {
            parameters["lastFailure"] = lastFailure.description
        }
        return MQTTError(.timeout, parameters: parameters)
    }

    /// Whether a failed first connection attempt may succeed if repeated: a broker that is not up yet
    /// or a dropped connection is worth another try; a refusal or a TLS or protocol failure is not.
    private static func isWorthRetrying(_ error: MQTTError) -> Bool {
        error.code == .connectionLost || error.code == .notConnected
    }
}
