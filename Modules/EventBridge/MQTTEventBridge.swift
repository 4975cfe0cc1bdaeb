import Logging
import MQTT
import SmartNationCore
import Synchronization

/// Shares events between daemons through an MQTT broker, using the CloudEvents MQTT binding in
/// structured mode (the whole JSON envelope as the payload; MQTT 3.1.1 has no binary mode).
///
/// - Out: every local event whose type matches one of `publishPatterns` is published, QoS 1, to
///   `smartnation/events/<type>`, stamped with the extension attribute `sgorigin` = this bridge's node id.
/// - In: every envelope received on `smartnation/events/#` from another node is published on the local
///   bus with its `sgorigin` kept (`external` when a tool published it without one).
///
/// No echo loops: an envelope carrying this node's own `sgorigin` is dropped on arrival, and an event on
/// the local bus that already carries an `sgorigin` came from the broker, so it is never sent back.
/// No duplicates: QoS 1 may redeliver after a reconnect, so the last ``Configuration/deduplicationWindow``
/// `source` + `id` pairs received are remembered and repeats are dropped.
public final class MQTTEventBridge: Sendable {
    /// The topic prefix events travel under.
    public static let topicPrefix = "smartnation/events/"
    /// The extension attribute naming the node an event was bridged from.
    public static let originAttribute = "sgorigin"
    /// The origin given to envelopes that arrive without one (published by a tool, not a bridge).
    public static let externalOrigin = "external"
    /// The most local events sent to the broker in one batch.
    public static let sendBatchCountMax = 256

    /// The bridge's settings.
    public struct Configuration: Sendable {
        /// This daemon's unique name among the bridged daemons.
        public var nodeID: String
        /// Which local events go out.
        public var publishPatterns: [EventPattern]
        /// How many recently received events are remembered to drop QoS 1 redeliveries.
        public var deduplicationWindow: Int
        /// The local subscription's buffer.
        public var bufferCapacity: Int

        /// Creates settings.
        public init(nodeID: String, publishPatterns: [EventPattern], deduplicationWindow: Int = 10_000, bufferCapacity: Int = 1024) {
            precondition(!nodeID.isEmpty, "a bridge has a node id")
            precondition(deduplicationWindow > 0 && bufferCapacity > 0)
            self.nodeID = nodeID
            self.publishPatterns = publishPatterns
            self.deduplicationWindow = deduplicationWindow
            self.bufferCapacity = bufferCapacity
        }
    }

    /// Counters for metrics.
    public struct Statistics: Sendable, Hashable {
        /// Local events published to the broker.
        public var sentCount: Int
        /// Remote events published on the local bus.
        public var receivedCount: Int
        /// Envelopes dropped as this node's own echo or as a redelivery.
        public var duplicateCount: Int
        /// Messages that were not valid envelopes, or local events that could not be sent.
        public var rejectedCount: Int
    }

    /// The bridge's settings.
    public let configuration: Configuration
    private let bus: EventBus
    private let client: MQTTClient
    private let logger: Logger
    private let counters = Mutex(Statistics(sentCount: 0, receivedCount: 0, duplicateCount: 0, rejectedCount: 0))
    private let recent: Mutex<RecentEventIDs>

    /// Creates a bridge between `bus` and the broker `client` is connected to.
    ///
    /// The bridge is the only consumer of `client.messages`.
    public init(configuration: Configuration, bus: EventBus, client: MQTTClient, logger: Logger) {
        self.configuration = configuration
        self.bus = bus
        self.client = client
        self.logger = logger
        recent = Mutex(RecentEventIDs(capacity: configuration.deduplicationWindow))
    }

    /// The bridge's counters.
    public var statistics: Statistics {
        counters.withLock { $0 }
    }

    /// Runs both directions until the task is cancelled or the bus shuts down.
    ///
    /// The client must be connected; its subscription to `smartnation/events/#` is made here and
    /// renewed by the client after reconnects.
    public func run() async throws {
        let outgoing = try bus.subscribe(to: .all, name: "bridge.mqtt-out", bufferCapacity: configuration.bufferCapacity)
        try await client.subscribe(Self.topicPrefix + "#", qos: .atLeastOnce)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.forwardLocalEvents(outgoing) }
            group.addTask { await self.injectRemoteEvents() }
            await group.next()
            group.cancelAll()
            outgoing.cancel()
        }
    }

    /// Sends local events in the batches the subscription has waiting, so many are in flight at once
    /// while their order is kept.
    private func forwardLocalEvents(_ subscription: EventSubscription) async {
        while true {
            let batch = await subscription.next(upTo: Self.sendBatchCountMax)
            if batch.isEmpty { return }
            let outgoing = batch.filter { event in
                event.extensions[Self.originAttribute] == nil
                    && configuration.publishPatterns.contains { $0.matches(event.type) }
            }
            await send(outgoing)
        }
    }

    private func send(_ events: [CloudEvent]) async {
        var messages: [MQTTMessage] = []
        messages.reserveCapacity(events.count)
        for event in events {
            guard !event.type.contains(where: { $0 == "/" || $0 == "+" || $0 == "#" }) else {
                counters.withLock { $0.rejectedCount += 1 }
                logger.warning("event type cannot be an MQTT topic level", metadata: ["type": "\(event.type)"])
                continue
            }
            var stamped = event
            stamped.extensions[Self.originAttribute] = .string(configuration.nodeID)
            messages.append(MQTTMessage(
                topic: Self.topicPrefix + event.type, payload: CloudEventCoding.encode(stamped), qos: .atLeastOnce))
        }
        guard !messages.isEmpty else { return }
        do {
            try await client.publish(contentsOf: messages)
            counters.withLock { $0.sentCount += messages.count }
        } catch {
            counters.withLock { $0.rejectedCount += messages.count }
            logger.warning("events not bridged to MQTT", metadata: ["count": "\(messages.count)", "error": "\(error)"])
        }
    }

    private func injectRemoteEvents() async {
        for await message in client.messages {
            guard message.topic.hasPrefix(Self.topicPrefix) else { continue }
            var event: CloudEvent
            do {
                event = try CloudEventCoding.decode(message.payload)
            } catch {
                counters.withLock { $0.rejectedCount += 1 }
                logger.info("malformed envelope on the bus topic", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                continue
            }
            let origin = event.extensions[Self.originAttribute]?.stringValue
            let isNew = recent.withLock { $0.insert(source: event.source, id: event.id) }
            guard origin != configuration.nodeID, isNew else {
                counters.withLock { $0.duplicateCount += 1 }
                continue
            }
            if origin == nil {
                event.extensions[Self.originAttribute] = .string(Self.externalOrigin)
            }
            do {
                try await bus.publish(event)
                counters.withLock { $0.receivedCount += 1 }
            } catch {
                return
            }
        }
    }
}

/// The most recent `source` + `id` pairs, oldest forgotten first: a bounded duplicate filter.
struct RecentEventIDs {
    private let capacity: Int
    private var members: Set<String> = []
    private var order: [String] = []
    private var oldest = 0

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        order.reserveCapacity(capacity)
    }

    /// Remembers the pair; returns whether it was new.
    mutating func insert(source: String, id: String) -> Bool {
        let key = source + "\u{0}" + id
        guard !members.contains(key) else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            members.remove(order[oldest])
            order[oldest] = key
            oldest = (oldest + 1) % capacity
        }
        members.insert(key)
        assert(members.count == order.count)
        return true
    }
}
