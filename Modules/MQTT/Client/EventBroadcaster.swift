import Synchronization

/// Hands every connection event to each stream made by `MQTTClient.connectionEvents()`.
final class EventBroadcaster: Sendable {
    /// How many unread events a stream keeps; older ones are dropped first.
    static let bufferedEventCountMax = 64

    private struct State {
        var subscribers: [UInt64: AsyncStream<MQTTConnectionEvent>.Continuation] = [:]
        var nextSubscriberID: UInt64 = 0
        var isFinished = false
    }

    private let state = Mutex(State())

    /// A new stream that sees the events emitted from now on; already finished once the client closed.
    func makeStream() -> AsyncStream<MQTTConnectionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self,
            bufferingPolicy: .bufferingNewest(Self.bufferedEventCountMax)
        )
        let subscriberID = state.withLock { state -> UInt64? in
            guard !state.isFinished else { return nil }
            state.nextSubscriberID += 1
            state.subscribers[state.nextSubscriberID] = continuation
            return state.nextSubscriberID
        }
        guard let subscriberID else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: subscriberID) }
        }
        return stream
    }

    /// Sends an event to every stream. Emitting under the lock keeps the order the same for all streams.
    func emit(_ event: MQTTConnectionEvent) {
        state.withLock { state in
            for continuation in state.subscribers.values {
                continuation.yield(event)
            }
        }
    }

    /// Finishes every stream; later streams finish at once.
    func finish() {
        let subscribers = state.withLock { state in
            state.isFinished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for continuation in subscribers {
            continuation.finish()
        }
    }
}
