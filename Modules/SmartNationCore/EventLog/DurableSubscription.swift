/// A named subscriber's view of the ``EventLog``: every matching event after its committed offset,
/// in log order, then each new one as it is appended.
///
/// Delivery is at least once: call ``commit(_:)`` after handling an event, and a restart resumes after
/// the last committed one. A subscriber that makes its effect and its commit in one transaction of its
/// own gets exactly-once effects. One task consumes a subscription.
public final class DurableSubscription: AsyncSequence, Sendable {
    public typealias Element = LoggedEvent

    /// The subscriber's name; its committed offset is stored under it.
    public let subscriber: String
    /// The event types it receives.
    public let pattern: EventPattern
    private let log: EventLog
    private let batchSize: Int
    private let startOffset: Int64

    init(log: EventLog, subscriber: String, pattern: EventPattern, start: Int64, batchSize: Int) {
        precondition(batchSize > 0 && batchSize <= EventLog.maximumReadCount)
        self.log = log
        self.subscriber = subscriber
        self.pattern = pattern
        self.startOffset = start
        self.batchSize = batchSize
    }

    /// Records that every event up to and including `event` has been handled.
    public func commit(_ event: LoggedEvent) async throws(SmartNationError) {
        try await log.commit(event.offset, for: subscriber)
    }

    /// Reads the log in batches; ends only when the consuming task is cancelled. A storage failure ends
    /// the sequence by throwing.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: DurableSubscription
        var position: Int64
        var pending: [LoggedEvent] = []
        var pendingIndex = 0

        /// The next event; `nil` once the task is cancelled.
        public mutating func next() async throws(SmartNationError) -> LoggedEvent? {
            while !Task.isCancelled {
                if pendingIndex < pending.count {
                    defer { pendingIndex += 1 }
                    return pending[pendingIndex]
                }
                let scannedUpTo = subscription.log.lastOffset
                pending = try await subscription.log.read(
                    after: position, limit: subscription.batchSize, matching: subscription.pattern)
                pendingIndex = 0
                if let last = pending.last {
                    position = last.offset
                } else {
                    position = Swift.max(position, scannedUpTo)
                    await subscription.log.waitForAppend(after: position)
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: self, position: startOffset)
    }
}
