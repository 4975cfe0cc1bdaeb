import Foundation
import Logging

/// The daemon's settings, checked and typed. Build one with ``ConfigurationLoader``.
///
/// Precedence, highest first: command-line flags, `SMARTNATION_*` environment variables, the YAML
/// file, the defaults in ``ConfigurationKey/all``.
public struct SmartNationConfiguration: Sendable {
    /// The HTTP listener.
    public struct HTTP: Sendable, Hashable {
        /// The host or address to bind.
        public var host: String
        /// The port to bind; 0 lets the system choose.
        public var port: Int
        /// The largest request body accepted.
        public var maximumBodyByteCount: Int
    }

    /// Logging.
    public struct Log: Sendable, Hashable {
        /// Lines for people, or one JSON object per line for collectors.
        public enum Format: String, Sendable, Hashable, CaseIterable {
            /// Human-readable lines.
            case text
            /// One JSON object per line.
            case json
        }

        /// The least severe level written.
        public var level: Logger.Level
        /// The line format.
        public var format: Format
    }

    /// The MQTT broker connection.
    public struct MQTT: Sendable, Hashable {
        /// An external broker's URL; `nil` selects the embedded Mosquitto.
        public var url: String?
        /// The client id prefix.
        public var clientID: String
        /// The keepalive interval in seconds.
        public var keepAliveSeconds: Int
        /// CA certificates for an `mqtts://` broker.
        public var caFile: String?
        /// The client certificate.
        public var certificateFile: String?
        /// The client certificate's key.
        public var keyFile: String?
        /// The mosquitto binary for the embedded broker; searched for when `nil`.
        public var mosquittoExecutable: String?
    }

    /// The bus-over-MQTT bridge.
    public struct Bridge: Sendable, Hashable {
        /// Whether the bridge runs.
        public var isEnabled: Bool
        /// Which local events it publishes.
        public var publishPatterns: [EventPattern]
    }

    /// Where the daemon keeps its files.
    public var dataDirectory: URL
    /// The HTTP listener.
    public var http: HTTP
    /// Logging.
    public var log: Log
    /// The broker.
    public var mqtt: MQTT
    /// The bridge.
    public var bridge: Bridge
    /// Events that may wait for one in-process subscriber.
    public var busBufferCapacity: Int
    /// The durable event log's retention.
    public var eventRetention: EventLogRetention
    /// How long graceful shutdown waits for in-flight work.
    public var shutdownGracePeriod: Duration
    /// The identity platform's settings.
    public var identity: Identity
    /// Whether `make run`'s demo data (a citizen and a development client) is loaded at start.
    public var loadsDemoData: Bool

    /// The identity platform's settings.
    public struct Identity: Sendable, Hashable {
        /// The key that seals secrets at rest (base64, 32 bytes); `nil`: a key file in the data directory.
        public var secretKey: String?
        /// The OpenID issuer identifier; `nil`: `http://` and the HTTP address.
        public var issuer: String?
        /// The operator token for `/admin`; `nil`: a token file in the data directory.
        public var adminToken: String?
        /// Whether OpenID clients may authenticate with a client secret (development clients).
        public var allowsDevelopmentClients = false
        /// PBKDF2-HMAC-SHA256 rounds for new password hashes.
        public var passwordRounds = 600_000
    }
}
