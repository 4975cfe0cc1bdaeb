import CMosquitto
import Dispatch
import Logging
import Synchronization

/// The machinery behind `MQTTClient`: the libmosquitto instance, the state machine, the incoming
/// buffer and the network thread's wake-up signal.
///
/// The network thread holds a strong reference to the core while it runs, and libmosquitto's
/// userdata holds an unretained one, which is safe because callbacks only run on that thread.
final class ClientCore: Sendable {
    /// How long one `mosquitto_loop` call may block, and so how quickly the thread notices a stop.
    static let loopTimeoutMilliseconds: Int32 = 250
    /// How long a turn of the `poll(2)` loop waits: a packet another thread queues meanwhile waits
    /// for the next turn (see `pollConnection()`).
    static let pollTimeoutMilliseconds: Int32 = 5
    /// How long a clean stop waits for DISCONNECT to be written before closing anyway.
    static let cleanStopDurationMax: Duration = .seconds(2)

    let configuration: MQTTClientConfiguration
    let logger: Logger
    let handle: MosquittoHandle
    let buffer: MessageBuffer
    let events = EventBroadcaster()
    let state = Mutex(ClientState())
    /// Signalled to cut short the network thread's backoff sleep.
    let wakeSignal = DispatchSemaphore(value: 0)

    init(configuration: MQTTClientConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "mqtt.client"] = "\(configuration.clientID)"
        logger[metadataKey: "mqtt.broker"] = "\(configuration.host):\(configuration.port)"
        self.logger = logger
        self.buffer = MessageBuffer(capacity: configuration.incomingBufferCapacity)
        self.handle = MosquittoHandle(configuration: configuration)
        mosquitto_user_data_set(handle.pointer, Unmanaged.passUnretained(self).toOpaque())
        installCallbacks()
    }

    deinit {
        handle.destroy()
    }

    var isConnected: Bool { state.withLock { $0.phase == .connected } }

    /// Resumes continuations and emits events decided under the lock.
    func perform(_ effects: ClientEffects) {
        for (continuation, outcome) in effects.connectOutcomes {
            continuation.resume(returning: outcome)
        }
        for (continuation, result) in effects.acknowledgementOutcomes {
            continuation.resume(returning: result)
        }
        for continuation in effects.networkThreadExits {
            continuation.resume()
        }
        for event in effects.events {
            log(event)
            events.emit(event)
        }
    }

    /// Runs a transition under the lock, then carries out its effects.
    func transition<Value: Sendable>(_ body: (inout ClientState, inout ClientEffects) -> Value) -> Value {
        let (result, effects) = state.withLock { state -> (Value, ClientEffects) in
            var effects = ClientEffects()
            let result = body(&state, &effects)
            return (result, effects)
        }
        perform(effects)
        return result
    }

    // MARK: connecting

    func connect(timeout: Duration) async throws(MQTTError) {
        try configuration.validate()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            switch await awaitConnection(deadline: deadline) {
            case .connected:
                return
            case .failed(let error):
                await waitForAbandonedAttempt()
                throw error
            case .retryAfterStop:
                await waitForAbandonedAttempt()
            }
        }
    }

    private func awaitConnection(deadline: ContinuousClock.Instant) async -> ConnectOutcome {
        let waiter = state.withLock { $0.makeToken() }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            self?.failConnectWaiter(waiter, timedOut: true)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: ConnectContinuation) in
                let start = state.withLock { state in
                    state.beginConnect(
                        waiter: waiter,
                        continuation: continuation,
                        isPastDeadline: ContinuousClock.now >= deadline,
                        isCancelled: Task.isCancelled
                    )
                }
                switch start {
                case .resume(let outcome):
                    continuation.resume(returning: outcome)
                case .wait:
                    break
                case .startNetworkThread:
                    startNetworkThread()
                }
            }
        } onCancel: {
            failConnectWaiter(waiter, timedOut: false)
        }
    }

    private func failConnectWaiter(_ waiter: UInt64, timedOut: Bool) {
        let mustWake = transition { state, effects in
            state.failConnectWaiter(waiter, timedOut: timedOut, effects: &effects)
        }
        if mustWake {
            wakeSignal.signal()
        }
    }

    /// Waits until an abandoned first attempt has stopped, so the next `connect()` starts from idle.
    private func waitForAbandonedAttempt() async {
        let run = state.withLock { state in
            state.phase == .stopping(then: .idle) ? state.networkRun : nil
        }
        if let run {
            await waitForNetworkThreadExit(of: run)
        }
    }

    func waitForNetworkThreadExit(of run: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isWaiting = state.withLock { $0.awaitNetworkThreadExit(of: run, continuation: continuation) }
            if !isWaiting {
                continuation.resume()
            }
        }
    }

    // MARK: operations

    func publish(_ message: MQTTMessage) async throws(MQTTError) {
        try TopicValidation.validateTopic(message.topic)
        try TopicValidation.validatePayloadSize(message.payload.count)
        let connection = try state.withLock { state throws(MQTTError) in try state.requireConnection() }
        let identifier = try handle.publish(message)
        switch message.qos {
        case .atMostOnce:
            state.withLock { $0.acknowledgements.ignore(identifier, operation: .publish(.atMostOnce)) }
        case .atLeastOnce:
            _ = try await acknowledgement(of: identifier, for: .publish(.atLeastOnce), on: connection).get()
        }
    }

    func publish(contentsOf messages: [MQTTMessage]) async throws(MQTTError) {
        precondition(messages.count <= MQTTClient.publishBatchCountMax, "a publish batch is bounded")
        for message in messages {
            try TopicValidation.validateTopic(message.topic)
            try TopicValidation.validatePayloadSize(message.payload.count)
        }
        let connection = try state.withLock { state throws(MQTTError) in try state.requireConnection() }
        var acknowledged: [Int32] = []
        acknowledged.reserveCapacity(messages.count)
        for message in messages {
            let identifier = try handle.publish(message)
            switch message.qos {
            case .atMostOnce:
                state.withLock { $0.acknowledgements.ignore(identifier, operation: .publish(.atMostOnce)) }
            case .atLeastOnce:
                acknowledged.append(identifier)
            }
        }
        for identifier in acknowledged {
            _ = try await acknowledgement(of: identifier, for: .publish(.atLeastOnce), on: connection).get()
        }
    }

    func subscribe(_ topicFilter: String, qos: MQTTQoS) async throws(MQTTError) {
        try TopicValidation.validateTopicFilter(topicFilter)
        let connection = try state.withLock { state throws(MQTTError) in try state.requireConnection() }
        let identifier = try handle.subscribe(topicFilter, qos: qos)
        let operation = AcknowledgedOperation.subscribe(topicFilter: topicFilter, qos: qos)
        let granted = try await acknowledgement(of: identifier, for: operation, on: connection).get()
        guard granted != MosquittoLibrary.subscriptionFailure else {
            throw MQTTError(.subscriptionRejected, parameters: ["topic": topicFilter])
        }
        logger.debug("MQTT subscribed", metadata: ["mqtt.topicFilter": "\(topicFilter)", "mqtt.qos": "\(granted)"])
    }

    func unsubscribe(_ topicFilter: String) async throws(MQTTError) {
        try TopicValidation.validateTopicFilter(topicFilter)
        let connection = try state.withLock { state throws(MQTTError) in try state.beginUnsubscribe(topicFilter) }
        let identifier = try handle.unsubscribe(topicFilter)
        _ = try await acknowledgement(of: identifier, for: .unsubscribe, on: connection).get()
        logger.debug("MQTT unsubscribed", metadata: ["mqtt.topicFilter": "\(topicFilter)"])
    }

    /// Waits for the broker's acknowledgement of packet `identifier`, sent on connection `connection`.
    private func acknowledgement(
        of identifier: Int32,
        for operation: AcknowledgedOperation,
        on connection: UInt64
    ) async -> Result<Int32, MQTTError> {
        let token = state.withLock { $0.makeToken() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: AcknowledgementContinuation) in
                let waiter = AcknowledgementWaiter(token: token, continuation: continuation)
                let immediate = transition { state, effects in
                    state.registerWaiter(
                        identifier,
                        operation: operation,
                        connection: connection,
                        waiter: waiter,
                        isCancelled: Task.isCancelled,
                        effects: &effects
                    )
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.acknowledgements.cancel(identifier, token: token) }
            waiter?.continuation.resume(returning: .failure(MQTTError(.cancelled)))
        }
    }

    // MARK: disconnecting

    /// Closes the client for good: DISCONNECT when connected, the network thread stopped and exited,
    /// pending operations failed with `.disconnected`, the streams finished.
    func disconnect() async {
        let start = transition { state, effects in state.beginDisconnect(abruptly: false, effects: &effects) }
        switch start {
        case .sendDisconnect(let run):
            mosquitto_disconnect(handle.pointer)
            wakeSignal.signal()
            await waitForNetworkThreadExit(of: run)
        case .wake(let run):
            wakeSignal.signal()
            await waitForNetworkThreadExit(of: run)
        case .finish:
            break
        }
        finish()
    }

    /// The client was released without `disconnect()`: stop the network thread without DISCONNECT,
    /// as if the process had died, so the broker publishes the last will. Does not wait.
    func abandon() {
        let start = transition { state, effects in state.beginDisconnect(abruptly: true, effects: &effects) }
        if start != .finish {
            wakeSignal.signal()
        }
        finish()
    }

    /// Emits `.disconnected` once and finishes the streams.
    private func finish() {
        let isFirst = transition { state, effects in state.finalize(effects: &effects) }
        buffer.finish()
        if isFirst {
            events.finish()
        }
    }

    private func log(_ event: MQTTConnectionEvent) {
        switch event {
        case .connected:
            logger.info("MQTT connected")
        case .connectionLost(let error):
            logger.info("MQTT connection lost; reconnecting", metadata: ["mqtt.error": "\(error)"])
        case .reconnected:
            logger.info("MQTT reconnected")
        case .disconnected:
            logger.info("MQTT disconnected")
        }
    }
}
