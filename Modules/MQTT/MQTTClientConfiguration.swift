/// Everything an `MQTTClient` needs to know before it connects.
///
/// The defaults connect to a broker on this machine (`127.0.0.1:1883`) with a clean session,
/// a 30-second keepalive and reconnection with jittered exponential backoff.
public struct MQTTClientConfiguration: Sendable {
    /// The broker's host name or IP address.
    public var host: String
    /// The broker's TCP port, in `1...65535`.
    public var port: Int
    /// The client identifier the broker knows this client by. May be empty only with `cleanSession`,
    /// in which case the broker assigns one. A second connection with the same identifier takes over.
    public var clientID: String
    /// Whether the broker discards the session (subscriptions, queued messages) when the client goes away.
    /// With a clean session the client subscribes again by itself after every reconnection.
    public var cleanSession: Bool
    /// How often, at most, the client proves it is alive, in seconds (`5...65535`). The broker declares
    /// the client dead, and publishes its last will, after 1.5 times this long without a packet.
    public var keepAliveSeconds: Int
    /// The user name to authenticate with, if any.
    public var username: String?
    /// The password to authenticate with; requires `username`.
    public var password: String?
    /// TLS settings; `nil` for plain TCP.
    public var tls: MQTTTLSConfiguration?
    /// The last will: the message the broker publishes when this client disappears without a clean
    /// `disconnect()` (crash, network loss, keepalive timeout, or release without `disconnect()`).
    public var will: MQTTMessage?
    /// The delays between reconnection attempts.
    public var reconnect: MQTTReconnectPolicy
    /// How many received messages wait for the consumer of `MQTTClient.messages` at most (at least 1).
    /// A message arriving when the buffer is full is dropped and counted (see `MQTTClient.droppedMessageCount`).
    public var incomingBufferCapacity: Int

    /// Creates a configuration; every setting but the client identifier has a default.
    public init(
        clientID: String,
        host: String = "127.0.0.1",
        port: Int = MQTTBrokerURL.defaultPort,
        cleanSession: Bool = true,
        keepAliveSeconds: Int = 30,
        username: String? = nil,
        password: String? = nil,
        tls: MQTTTLSConfiguration? = nil,
        will: MQTTMessage? = nil,
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy(),
        incomingBufferCapacity: Int = 10_000
    ) {
        self.clientID = clientID
        self.host = host
        self.port = port
        self.cleanSession = cleanSession
        self.keepAliveSeconds = keepAliveSeconds
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.reconnect = reconnect
        self.incomingBufferCapacity = incomingBufferCapacity
    }

    /// Creates a configuration for the broker a URL names: host, port, credentials, and TLS with the
    /// system's trusted authorities for `mqtts`.
    public init(clientID: String, brokerURL: MQTTBrokerURL) {
        self.init(
            clientID: clientID,
            host: brokerURL.host,
            port: brokerURL.port,
            username: brokerURL.username,
            password: brokerURL.password,
            tls: brokerURL.usesTLS ? MQTTTLSConfiguration() : nil
        )
    }

    /// Checks the settings that libmosquitto would otherwise reject with a less helpful error.
    func validate() throws(MQTTError) {
        func invalid(_ setting: String, _ reason: String) -> MQTTError {
            MQTTError(.invalidConfiguration, parameters: ["setting": setting, "reason": reason])
        }
        guard !host.isEmpty, !host.utf8.contains(0) else { throw invalid("host", "the host is empty") }
        guard (1...65_535).contains(port) else { throw invalid("port", "the port must lie in 1...65535") }
        guard (5...65_535).contains(keepAliveSeconds) else {
            throw invalid("keepAliveSeconds", "the keepalive must lie in 5...65535 seconds")
        }
        guard !clientID.isEmpty || cleanSession else {
            throw invalid("clientID", "a persistent session needs a client identifier")
        }
        guard clientID.utf8.count <= 65_535, !clientID.utf8.contains(0) else {
            throw invalid("clientID", "the client identifier is too long or contains NUL")
        }
        guard password == nil || username != nil else { throw invalid("password", "a password needs a user name") }
        guard !(username?.utf8.contains(0) ?? false), !(password?.utf8.contains(0) ?? false) else {
            throw invalid("username", "credentials must not contain NUL")
        }
        guard incomingBufferCapacity > 0 else {
            throw invalid("incomingBufferCapacity", "the buffer must hold at least one message")
        }
        if let will {
            try TopicValidation.validateTopic(will.topic)
            try TopicValidation.validatePayloadSize(will.payload.count)
        }
        if let tls, (tls.certificateFile == nil) != (tls.keyFile == nil) {
            throw MQTTError(
                .tlsConfiguration,
                parameters: ["reason": "a client certificate needs its key, and a key its certificate"])
        }
    }
}
