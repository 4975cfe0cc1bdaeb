/// An error from the MQTT module: a stable machine-readable code, a message key for the
/// Multilingual catalogues, and the parameters the message is rendered with.
///
/// Two errors are equal when their codes are equal, whatever their parameters, so callers and tests
/// match on the code: `#expect(throws: MQTTError(.notConnected)) { … }`. New codes never break
/// existing callers because `Code` is a struct, not an enum.
public struct MQTTError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's stable spelling, also the last component of the message key.
        public let rawValue: String

        /// Creates a code from its spelling.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code's stable spelling.
        public var description: String { rawValue }

        /// The operation needs a connection and the client has none (never connected, reconnecting, or closed).
        public static let notConnected = Code(rawValue: "notConnected")
        /// The broker answered CONNECT with a refusal (bad credentials, not authorised, identifier rejected…).
        public static let connectionRefused = Code(rawValue: "connectionRefused")
        /// The connection dropped while the operation waited for the broker's acknowledgement.
        public static let connectionLost = Code(rawValue: "connectionLost")
        /// The operation did not finish within its time limit.
        public static let timeout = Code(rawValue: "timeout")
        /// A broker URL could not be parsed or uses an unsupported scheme, host or port.
        public static let invalidURL = Code(rawValue: "invalidURL")
        /// A topic or topic filter is empty, too long, not valid UTF-8, or misuses the wildcards `+` and `#`.
        public static let invalidTopic = Code(rawValue: "invalidTopic")
        /// The client configuration is inconsistent (port, keepalive, client identifier, credentials).
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The TLS files are missing or unreadable, or the TLS handshake failed verification.
        public static let tlsConfiguration = Code(rawValue: "tlsConfiguration")
        /// The broker or libmosquitto reported a protocol violation or an unexpected failure.
        public static let protocolError = Code(rawValue: "protocolError")
        /// The payload exceeds the MQTT maximum of 268,435,455 bytes or the broker's limit.
        public static let payloadTooLarge = Code(rawValue: "payloadTooLarge")
        /// The client was disconnected with `disconnect()` while the operation waited.
        public static let disconnected = Code(rawValue: "disconnected")
        /// The broker refused a subscription (SUBACK return code 0x80).
        public static let subscriptionRejected = Code(rawValue: "subscriptionRejected")
        /// The waiting task was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
        /// A Mosquitto broker process could not be started or did not start listening.
        public static let brokerFailure = Code(rawValue: "brokerFailure")
        /// A system call failed (sockets, files, processes).
        public static let systemError = Code(rawValue: "systemError")
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// Values the localised message interpolates (`reason`, `topic`, `port`, …).
    public let parameters: [String: String]

    /// The key of this error's message in the Multilingual catalogues.
    public var messageKey: String { "mqtt.error.\(code.rawValue)" }

    /// Creates an error with a code and optional message parameters.
    public init(_ code: Code, parameters: [String: String] = [:]) {
        self.code = code
        self.parameters = parameters
    }

    /// Errors are equal when their codes are equal; parameters are detail, not identity.
    public static func == (lhs: MQTTError, rhs: MQTTError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// The code followed by the parameters in key order, for logs.
    public var description: String {
        guard !parameters.isEmpty else { return "MQTTError(\(code.rawValue))" }
        let details = parameters.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        return "MQTTError(\(code.rawValue); \(details))"
    }
}
