import DequeModule
import Synchronization

/// The bounded queue between the bus and one subscriber.
///
/// Backpressure: when the queue holds `capacity` events, a publisher that must add one more suspends
/// until the subscriber has drained the queue to half its capacity (the hysteresis keeps a busy pair
/// from waking each other for every event). Nothing is ever dropped while the subscription is live;
/// once it is cancelled, events for it are discarded and every waiting publisher is released.
final class SubscriptionBuffer: Sendable {
    private struct State {
        var events: Deque<CloudEvent> = []
        var waitingConsumer: CheckedContinuation<CloudEvent?, Never>?
        var waitingPublishers: [CheckedContinuation<Void, Never>] = []
        var isFinished = false
        var isCancelled = false
        var deliveredCount = 0
        var publisherWaitCount = 0
    }

    private enum Offer {
        case accepted
        case handedToConsumer(CheckedContinuation<CloudEvent?, Never>)
        case full
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a subscription buffer holds at least one event")
        self.capacity = capacity
    }

    /// Adds `event`, suspending while the buffer is full.
    func enqueue(_ event: CloudEvent) async {
        while true {
            let offer = state.withLock { state -> Offer in
                if state.isCancelled || state.isFinished { return .accepted }
                if let consumer = state.waitingConsumer {
                    state.waitingConsumer = nil
                    state.deliveredCount += 1
                    return .handedToConsumer(consumer)
                }
                if state.events.count < capacity {
                    state.events.append(event)
                    return .accepted
                }
                state.publisherWaitCount += 1
                return .full
            }
            switch offer {
            case .accepted:
                return
            case .handedToConsumer(let consumer):
                consumer.resume(returning: event)
                return
            case .full:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.isCancelled || state.isFinished || state.events.count < capacity { return true }
                        state.waitingPublishers.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// The next event, or `nil` once the buffer is finished and drained, or cancelled.
    func next() async -> CloudEvent? {
        let (event, publishers, mustWait) = state.withLock { state -> (CloudEvent?, [CheckedContinuation<Void, Never>], Bool) in
            if let event = state.events.popFirst() {
                state.deliveredCount += 1
                return (event, releasablePublishers(&state), false)
            }
            return (nil, [], !(state.isFinished || state.isCancelled))
        }
        publishers.forEach { $0.resume() }
        if !mustWait { return event }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> (CloudEvent?, Bool) in
                    if let event = state.events.popFirst() {
                        state.deliveredCount += 1
                        return (event, true)
                    }
                    if state.isFinished || state.isCancelled { return (nil, true) }
                    precondition(state.waitingConsumer == nil, "a subscription has one consumer")
                    state.waitingConsumer = continuation
                    return (nil, false)
                }
                if immediate.1 { continuation.resume(returning: immediate.0) }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Up to `maximumCount` buffered events; waits for one when none is buffered. Empty once the
    /// buffer is finished and drained, or cancelled.
    func nextBatch(maximumCount: Int) async -> [CloudEvent] {
        precondition(maximumCount > 0, "a batch holds at least one event")
        let (batch, publishers) = state.withLock { state -> ([CloudEvent], [CheckedContinuation<Void, Never>]) in
            let count = min(maximumCount, state.events.count)
            guard count > 0 else { return ([], []) }
            let batch = Array(state.events.prefix(count))
            state.events.removeFirst(count)
            state.deliveredCount += count
            return (batch, releasablePublishers(&state))
        }
        publishers.forEach { $0.resume() }
        if !batch.isEmpty { return batch }
        return await next().map { [$0] } ?? []
    }

    private func releasablePublishers(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.waitingPublishers.isEmpty, state.events.count <= capacity / 2 else { return [] }
        defer { state.waitingPublishers.removeAll() }
        return state.waitingPublishers
    }

    /// Ends the subscription once the buffered events are consumed.
    func finish() {
        let consumer = state.withLock { state -> CheckedContinuation<CloudEvent?, Never>? in
            state.isFinished = true
            defer { state.waitingConsumer = nil }
            return state.waitingConsumer
        }
        consumer?.resume(returning: nil)
    }

    /// Ends the subscription now: buffered events are discarded and waiting publishers released.
    func cancel() {
        let (consumer, publishers) = state.withLock { state in
            state.isCancelled = true
            state.events.removeAll()
            defer {
                state.waitingConsumer = nil
                state.waitingPublishers.removeAll()
            }
            return (state.waitingConsumer, state.waitingPublishers)
        }
        consumer?.resume(returning: nil)
        publishers.forEach { $0.resume() }
    }

    /// A snapshot for metrics.
    var snapshot: (buffered: Int, delivered: Int, publisherWaits: Int, isActive: Bool) {
        state.withLock { ($0.events.count, $0.deliveredCount, $0.publisherWaitCount, !$0.isCancelled && !$0.isFinished) }
    }

    /// Whether every buffered event has been taken by the consumer.
    var isDrained: Bool {
        state.withLock { $0.events.isEmpty }
    }
}
