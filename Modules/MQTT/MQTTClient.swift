import Logging

/// An MQTT 3.1.1 client over libmosquitto: connect, publish, subscribe, and stay connected.
///
/// ```swift
/// let client = MQTTClient(configuration: .init(clientID: "ingest-1"), logger: logger)
/// try await client.connect()
/// try await client.subscribe("sg/lamppost/+/senml")
/// for await message in client.messages { … }
/// await client.disconnect()
/// ```
///
/// A client owns a network thread from `connect()` until `disconnect()`. When an established
/// connection drops, the thread reconnects by itself, waiting the jittered, capped exponential
/// delays of `MQTTClientConfiguration.reconnect`, and renews the subscriptions when the broker kept
/// no session. While it is away, `publish`, `subscribe` and `unsubscribe` fail with `.notConnected`
/// (buffering for later is the caller's decision); a QoS 1 publish already sent waits on, because
/// libmosquitto sends it again after reconnecting.
///
/// A client is used once: after `disconnect()` it cannot connect again. Releasing a connected client
/// without `disconnect()` closes its socket without DISCONNECT, as a crash would, so the broker
/// publishes its last will.
public final class MQTTClient: Sendable {
    private let core: ClientCore

    /// Creates a disconnected client. The logger receives connection changes at info level and
    /// libmosquitto's own lines at trace level.
    ///
    /// - Precondition: `configuration.incomingBufferCapacity > 0`.
    public init(configuration: MQTTClientConfiguration, logger: Logger) {
        core = ClientCore(configuration: configuration, logger: logger)
    }

    deinit {
        core.abandon()
    }

    /// The settings the client was created with.
    public var configuration: MQTTClientConfiguration { core.configuration }

    /// Connects, and returns once the broker has accepted the connection (CONNACK).
    ///
    /// While the broker cannot be reached, the client retries with the reconnect policy's delays
    /// until `timeout`. Calling it while connected returns at once; while reconnecting it waits for
    /// the reconnection.
    ///
    /// - Throws: `MQTTError` with code `connectionRefused` (credentials, identifier, authorisation),
    ///   `tlsConfiguration`, `invalidConfiguration`, `timeout` (with the last failure as a parameter),
    ///   `cancelled`, or `disconnected` after `disconnect()`.
    public func connect(timeout: Duration = .seconds(10)) async throws(MQTTError) {
        try await core.connect(timeout: timeout)
    }

    /// Publishes a message. QoS 0 returns once the message is queued for the socket; QoS 1 returns
    /// once the broker acknowledged it (PUBACK).
    ///
    /// - Throws: `MQTTError` with code `invalidTopic` (empty, or containing `+` or `#`),
    ///   `payloadTooLarge`, `notConnected`, `cancelled`, or `disconnected`.
    public func publish(_ message: MQTTMessage) async throws(MQTTError) {
        try await core.publish(message)
    }

    /// The most messages one ``publish(contentsOf:)`` takes.
    public static let publishBatchCountMax = 4096

    /// Publishes messages in order without waiting for each acknowledgement before sending the next,
    /// then returns once the broker acknowledged every QoS 1 message among them. This keeps many
    /// messages in flight, where calling ``publish(_:)`` in a loop waits one round trip per message.
    ///
    /// Every message is checked before any is sent. Should sending fail part-way (the connection
    /// drops), the messages before the failing one have been sent and libmosquitto resends any of
    /// them still unacknowledged after reconnecting.
    ///
    /// - Precondition: `messages.count <= MQTTClient.publishBatchCountMax`.
    /// - Throws: as ``publish(_:)``.
    public func publish(contentsOf messages: [MQTTMessage]) async throws(MQTTError) {
        try await core.publish(contentsOf: messages)
    }

    /// Subscribes to a topic filter (wildcards `+` for one level, `#` for the rest) and returns once
    /// the broker acknowledged it (SUBACK). The subscription is renewed after every reconnection
    /// that lost the session. Messages arrive on `messages`.
    ///
    /// - Throws: `MQTTError` with code `invalidTopic`, `notConnected`, `connectionLost`,
    ///   `subscriptionRejected`, `cancelled`, or `disconnected`.
    public func subscribe(_ topicFilter: String, qos: MQTTQoS = .atLeastOnce) async throws(MQTTError) {
        try await core.subscribe(topicFilter, qos: qos)
    }

    /// Ends a subscription and returns once the broker acknowledged it (UNSUBACK).
    ///
    /// - Throws: `MQTTError` with code `invalidTopic`, `notConnected`, `connectionLost`, `cancelled`,
    ///   or `disconnected`.
    public func unsubscribe(_ topicFilter: String) async throws(MQTTError) {
        try await core.unsubscribe(topicFilter)
    }

    /// The messages received on every subscription, in order, for one consumer at a time.
    ///
    /// The buffer holds at most `incomingBufferCapacity` messages. When it is full, arriving
    /// messages are dropped and counted in `droppedMessageCount`; the network thread never waits
    /// for the consumer, so keepalive, acknowledgements and `publish` keep working even while the
    /// consumer stalls. The stream finishes after `disconnect()`.
    public var messages: MQTTMessageStream { MQTTMessageStream(buffer: core.buffer) }

    /// How many received messages were dropped because the consumer let the buffer fill up.
    public var droppedMessageCount: Int { core.buffer.droppedCount }

    /// Whether the client is connected to the broker right now.
    public var isConnected: Bool { core.isConnected }

    /// A new stream of connection changes from now on (connected, lost, reconnected, disconnected).
    /// Each call makes an independent stream; it keeps the newest 64 unread events and finishes
    /// when the client disconnects.
    public func connectionEvents() -> AsyncStream<MQTTConnectionEvent> {
        core.events.makeStream()
    }

    /// Disconnects for good: sends DISCONNECT (so the broker discards the last will), stops and
    /// joins the network thread, fails pending operations with `.disconnected`, and finishes
    /// `messages` after the messages already buffered.
    public func disconnect() async {
        await core.disconnect()
    }
}
