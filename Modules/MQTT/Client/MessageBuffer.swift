import DequeModule
import Synchronization

/// The bounded queue between libmosquitto's network thread (producer) and the one consumer of
/// `MQTTClient.messages`.
///
/// The producer never waits: a message that finds the buffer full is dropped and counted. Waiting
/// would stop the network thread from reading PUBACKs and SUBACKs, and a consumer that publishes at
/// QoS 1 while handling a message would then wait for itself forever.
final class MessageBuffer: Sendable {
    /// What became of an offered message.
    enum OfferResult: Equatable {
        case accepted
        /// The buffer was full. `startsBurst` is true for the first drop after an accepted message.
        case dropped(startsBurst: Bool)
        /// The buffer was finished; the message was discarded.
        case finished
    }

    private struct Consumer {
        let id: UInt64
        let continuation: CheckedContinuation<MQTTMessage?, Never>
    }

    private struct State {
        var messages: Deque<MQTTMessage> = []
        var consumer: Consumer?
        var nextConsumerID: UInt64 = 0
        var isFinished = false
        var isDropping = false
        var droppedCount = 0
    }

    /// The most messages the buffer holds.
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "the incoming buffer must hold at least one message")
        self.capacity = capacity
    }

    /// How many messages were dropped because the buffer was full.
    var droppedCount: Int { state.withLock { $0.droppedCount } }

    /// How many messages wait for the consumer.
    var count: Int { state.withLock { $0.messages.count } }

    /// Hands a message to the waiting consumer, queues it, or drops it when the queue is full.
    func offer(_ message: MQTTMessage) -> OfferResult {
        let (result, consumer) = state.withLock { state -> (OfferResult, Consumer?) in
            if state.isFinished { return (.finished, nil) }
            if let consumer = state.consumer {
                assert(state.messages.isEmpty, "a consumer waits only on an empty buffer")
                state.consumer = nil
                state.isDropping = false
                return (.accepted, consumer)
            }
            if state.messages.count < capacity {
                state.messages.append(message)
                state.isDropping = false
                assert(state.messages.count <= capacity)
                return (.accepted, nil)
            }
            state.droppedCount += 1
            let startsBurst = !state.isDropping
            state.isDropping = true
            return (.dropped(startsBurst: startsBurst), nil)
        }
        consumer?.continuation.resume(returning: message)
        return result
    }

    /// Ends the stream: the consumer still receives what is queued, then `nil`.
    func finish() {
        let consumer = state.withLock { state -> Consumer? in
            state.isFinished = true
            defer { state.consumer = nil }
            return state.consumer
        }
        consumer?.continuation.resume(returning: nil)
    }

    /// The next message; `nil` once the buffer is finished and empty, or when the calling task is cancelled.
    /// Cancellation ends only this wait: queued and later messages stay for the next call.
    func next() async -> MQTTMessage? {
        let (message, id) = state.withLock { state -> (MQTTMessage?, UInt64) in
            state.nextConsumerID &+= 1
            return (state.messages.popFirst(), state.nextConsumerID)
        }
        if let message { return message }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<MQTTMessage?, Never>) in
                let ready = state.withLock { state -> MQTTMessage?? in
                    if let message = state.messages.popFirst() { return .some(message) }
                    if state.isFinished || Task.isCancelled { return .some(nil) }
                    precondition(state.consumer == nil, "MQTTMessageStream supports one consumer at a time")
                    state.consumer = Consumer(id: id, continuation: continuation)
                    return .none
                }
                if case .some(let message) = ready {
                    continuation.resume(returning: message)
                }
            }
        } onCancel: {
            let consumer = state.withLock { state -> Consumer? in
                guard let consumer = state.consumer, consumer.id == id else { return nil }
                state.consumer = nil
                return consumer
            }
            consumer?.continuation.resume(returning: nil)
        }
    }
}
