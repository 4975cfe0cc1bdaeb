/// A live subscription to an ``EventBus``: an `AsyncSequence` of the matching events, in publication order.
///
/// One task consumes it. It ends when the bus shuts down (after the buffered events), when ``cancel()``
/// is called, or when the consuming task is cancelled. Releasing the last reference cancels it, so a
/// forgotten subscription never holds publishers back.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = CloudEvent

    /// The subscription's label.
    public let name: String
    /// The event types it receives.
    public let pattern: EventPattern
    let buffer: SubscriptionBuffer
    private let onEnd: @Sendable () -> Void

    init(name: String, pattern: EventPattern, buffer: SubscriptionBuffer, onEnd: @escaping @Sendable () -> Void) {
        self.name = name
        self.pattern = pattern
        self.buffer = buffer
        self.onEnd = onEnd
    }

    deinit {
        buffer.cancel()
        onEnd()
    }

    /// Ends the subscription now; buffered events are discarded.
    public func cancel() {
        buffer.cancel()
        onEnd()
    }

    /// The next event, or `nil` when the subscription has ended.
    public func next() async -> CloudEvent? {
        await buffer.next()
    }

    /// The events already waiting, up to `maximumCount`, or the next one to arrive when none is
    /// waiting; empty when the subscription has ended. For consumers that work in batches.
    public func next(upTo maximumCount: Int) async -> [CloudEvent] {
        await buffer.nextBatch(maximumCount: maximumCount)
    }

    /// Iterates the events.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: EventSubscription

        /// The next event, or `nil` when the subscription has ended.
        public mutating func next() async -> CloudEvent? {
            await subscription.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: self)
    }
}
