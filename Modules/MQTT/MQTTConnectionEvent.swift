/// A change in a client's connection, as seen by `MQTTClient.connectionEvents()`.
public enum MQTTConnectionEvent: Sendable, Hashable {
    /// The first connection was accepted by the broker (CONNACK).
    case connected
    /// An established connection dropped; the client now reconnects by itself.
    case connectionLost(MQTTError)
    /// The connection is back after a loss and every subscription is active again at the broker.
    case reconnected
    /// `disconnect()` finished (or the client was released): no more events follow.
    case disconnected
}
