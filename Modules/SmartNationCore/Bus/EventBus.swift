import Synchronization

/// The in-process event bus: publishers hand it CloudEvents, and it fans each one out, in order,
/// to every live subscription whose pattern matches.
///
/// Ordering: the events of one publisher reach every subscriber in the order they were published.
/// Memory: each subscription has a bounded buffer; when a subscriber falls `bufferCapacity` events
/// behind, publishers of events it matches suspend until it has caught up to half (see
/// ``EventSubscription``). A subscriber that must never slow publishers reads the durable
/// ``EventLog`` instead, where it keeps its own offset.
///
/// Delivery is live only: a subscription sees events published after it was made. Durability and
/// replay after a restart belong to ``EventLog``; the ``OutboxRelay`` appends to the log first and
/// then publishes here.
public final class EventBus: Sendable {
    /// Limits of a bus.
    public struct Configuration: Sendable {
        /// The buffer of a subscription that asks for no particular size.
        public var defaultBufferCapacity: Int
        /// The largest buffer a subscription may ask for.
        public var maximumBufferCapacity: Int
        /// The most live subscriptions at once.
        public var maximumSubscriptionCount: Int

        /// Creates limits; the defaults suit a daemon.
        public init(defaultBufferCapacity: Int = 1024, maximumBufferCapacity: Int = 65_536, maximumSubscriptionCount: Int = 1024) {
            precondition(defaultBufferCapacity > 0 && defaultBufferCapacity <= maximumBufferCapacity)
            precondition(maximumSubscriptionCount > 0)
            self.defaultBufferCapacity = defaultBufferCapacity
            self.maximumBufferCapacity = maximumBufferCapacity
            self.maximumSubscriptionCount = maximumSubscriptionCount
        }
    }

    struct Registration: Sendable {
        let id: Int
        let name: String
        let pattern: EventPattern
        let buffer: SubscriptionBuffer
    }

    private struct State {
        var registrations: [Registration] = []
        var nextID = 0
        var isClosed = false
    }

    /// The bus's limits.
    public let configuration: Configuration
    private let state = Mutex(State())
    private let publishedCount = Atomic<Int>(0)

    /// Creates an empty bus.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Publishes one event to every matching subscription, suspending while a matching subscriber's
    /// buffer is full. Throws ``SmartNationError/Code/busClosed`` after ``shutdown()``.
    public func publish(_ event: CloudEvent) async throws(SmartNationError) {
        await deliver(event, to: try liveRegistrations())
    }

    /// Publishes events in order, as if by repeated ``publish(_:)-(CloudEvent)``.
    public func publish(_ events: some Sequence<CloudEvent>) async throws(SmartNationError) {
        let registrations = try liveRegistrations()
        for event in events {
            await deliver(event, to: registrations)
        }
    }

    @inline(__always)
    private func deliver(_ event: CloudEvent, to registrations: [Registration]) async {
        publishedCount.add(1, ordering: .relaxed)
        for registration in registrations where registration.pattern.matches(event.type) {
            await registration.buffer.enqueue(event)
        }
    }

    private func liveRegistrations() throws(SmartNationError) -> [Registration] {
        let (registrations, isClosed) = state.withLock { ($0.registrations, $0.isClosed) }
        guard !isClosed else { throw SmartNationError(.busClosed, httpStatus: 503) }
        return registrations
    }

    /// Subscribes to the events whose type matches `pattern`.
    ///
    /// - Parameters:
    ///   - pattern: which event types to receive.
    ///   - name: a label for metrics and logs, such as `payments.proxy-freezer`.
    ///   - bufferCapacity: how many events may wait for this subscriber before publishers suspend;
    ///     the bus's default when `nil`.
    public func subscribe(
        to pattern: EventPattern,
        name: String,
        bufferCapacity: Int? = nil
    ) throws(SmartNationError) -> EventSubscription {
        let capacity = bufferCapacity ?? configuration.defaultBufferCapacity
        guard (1...configuration.maximumBufferCapacity).contains(capacity) else {
            throw SmartNationError(
                .configurationInvalidValue,
                parameters: ["key": "bufferCapacity", "expected": "1...\(configuration.maximumBufferCapacity)"]
            )
        }
        let buffer = SubscriptionBuffer(capacity: capacity)
        let id = try state.withLock { state throws(SmartNationError) -> Int in
            guard !state.isClosed else { throw SmartNationError(.busClosed, httpStatus: 503) }
            guard state.registrations.count < configuration.maximumSubscriptionCount else {
                throw SmartNationError(
                    .configurationInvalidValue,
                    parameters: ["key": "subscriptions", "expected": "at most \(configuration.maximumSubscriptionCount)"]
                )
            }
            state.nextID += 1
            state.registrations.append(Registration(id: state.nextID, name: name, pattern: pattern, buffer: buffer))
            return state.nextID
        }
        return EventSubscription(name: name, pattern: pattern, buffer: buffer) { [weak self] in
            self?.remove(id)
        }
    }

    private func remove(_ id: Int) {
        state.withLock { $0.registrations.removeAll { $0.id == id } }
    }

    /// Refuses further publishing and ends every subscription once it has drained what it holds.
    public func shutdown() {
        let registrations = state.withLock { state -> [Registration] in
            state.isClosed = true
            defer { state.registrations.removeAll() }
            return state.registrations
        }
        registrations.forEach { $0.buffer.finish() }
    }

    /// Waits until every live subscription has taken every event buffered for it, or `timeout` passes;
    /// returns whether the bus drained. Used by graceful shutdown.
    public func drain(timeout: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            let buffers = state.withLock { $0.registrations.map(\.buffer) }
            if buffers.allSatisfy(\.isDrained) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Counters and per-subscription depth, for metrics.
    public var statistics: EventBusStatistics {
        let registrations = state.withLock { $0.registrations }
        return EventBusStatistics(
            publishedCount: publishedCount.load(ordering: .relaxed),
            subscriptions: registrations.map { registration in
                let snapshot = registration.buffer.snapshot
                return EventBusStatistics.Subscription(
                    name: registration.name,
                    pattern: registration.pattern.description,
                    bufferedCount: snapshot.buffered,
                    bufferCapacity: registration.buffer.capacity,
                    deliveredCount: snapshot.delivered,
                    publisherWaitCount: snapshot.publisherWaits
                )
            }
        )
    }
}

/// A snapshot of an ``EventBus``'s counters.
public struct EventBusStatistics: Sendable, Hashable {
    /// One subscription's figures.
    public struct Subscription: Sendable, Hashable {
        /// The subscription's label.
        public var name: String
        /// Its pattern.
        public var pattern: String
        /// Events waiting for the subscriber: its lag.
        public var bufferedCount: Int
        /// The most events that may wait.
        public var bufferCapacity: Int
        /// Events the subscriber has taken.
        public var deliveredCount: Int
        /// How often a publisher had to wait for this subscriber.
        public var publisherWaitCount: Int
    }

    /// Events published since the bus was made.
    public var publishedCount: Int
    /// The live subscriptions.
    public var subscriptions: [Subscription]
}
