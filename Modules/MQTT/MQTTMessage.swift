/// One application message: a topic, opaque payload bytes and delivery flags.
public struct MQTTMessage: Sendable, Hashable {
    /// The topic the message is published to. Never contains the wildcards `+` or `#`.
    public var topic: String
    /// The payload, delivered byte for byte.
    public var payload: [UInt8]
    /// The quality of service the message is published (or was delivered) with.
    public var qos: MQTTQoS
    /// On publish: whether the broker keeps the message for future subscribers.
    /// On delivery: whether the message is a retained one sent because of a new subscription.
    public var retain: Bool

    /// Creates a message.
    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
