/// The delivery guarantee of an MQTT message or subscription.
///
/// QoS 2 is deliberately absent: the platform's consumers deduplicate (CloudEvents `source` + `id`,
/// SenML records by name and time), so "at least once" is the strongest guarantee they need.
public enum MQTTQoS: Int32, Sendable, Hashable, CaseIterable {
    /// Fire and forget: the message is sent once and may be lost.
    case atMostOnce = 0
    /// The sender repeats the message until the receiver acknowledges it; it may arrive twice.
    case atLeastOnce = 1
}
