import Foundation

/// One setting of the daemon: its dotted name in the configuration file, its environment variable,
/// the values it takes and its default. ``all`` is the complete list; a file key not in it is an error.
public struct ConfigurationKey: Sendable, Hashable {
    /// The dotted name used in the YAML file, such as `http.address`.
    public let name: String
    /// What values it takes, in words; also used in error messages.
    public let expected: String
    /// The default, as text; `nil` when unset by default.
    public let defaultValue: String?
    /// What it controls.
    public let summary: String

    /// The environment variable that sets this key: `SMARTNATION_` and the name upper-cased, dots as underscores.
    public var environmentVariable: String {
        "SMARTNATION_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Every key the daemon reads.
    public static let all: [ConfigurationKey] = [
        .init(name: "data_dir", expected: "a directory path", defaultValue: "data",
              summary: "Where the platform databases, the event log and the embedded broker's files live."),
        .init(name: "http.address", expected: "HOST:PORT with a port from 1 to 65535", defaultValue: "127.0.0.1:8080",
              summary: "Where the HTTP API listens."),
        .init(name: "http.max_body_bytes", expected: "an integer from 1024 to 67108864", defaultValue: "1048576",
              summary: "The largest request body accepted."),
        .init(name: "log.level", expected: "one of trace, debug, info, notice, warning, error, critical", defaultValue: "info",
              summary: "The least severe log level written."),
        .init(name: "log.format", expected: "text or json", defaultValue: "text",
              summary: "Human-readable lines or one JSON object per line."),
        .init(name: "mqtt.url", expected: "an mqtt:// or mqtts:// URL", defaultValue: nil,
              summary: "An external broker. Unset: the daemon starts and supervises its own Mosquitto on loopback."),
        .init(name: "mqtt.client_id", expected: "1 to 64 characters", defaultValue: "smartnationd",
              summary: "The MQTT client id prefix; a per-process suffix keeps daemons apart."),
        .init(name: "mqtt.keepalive_seconds", expected: "an integer from 5 to 3600", defaultValue: "30",
              summary: "The MQTT keepalive interval."),
        .init(name: "mqtt.ca_file", expected: "a PEM file path", defaultValue: nil,
              summary: "CA certificates to verify an mqtts:// broker."),
        .init(name: "mqtt.cert_file", expected: "a PEM file path", defaultValue: nil,
              summary: "The client certificate for brokers that require one."),
        .init(name: "mqtt.key_file", expected: "a PEM file path", defaultValue: nil,
              summary: "The client certificate's private key."),
        .init(name: "mosquitto.executable", expected: "a path to the mosquitto binary", defaultValue: nil,
              summary: "The broker the embedded default starts; found on PATH or in /usr/sbin when unset."),
        .init(name: "bridge.enabled", expected: "true or false", defaultValue: "true",
              summary: "Whether local events are shared with other daemons over MQTT."),
        .init(name: "bridge.publish", expected: "a list of event patterns such as sg.smartnation.*", defaultValue: "sg.smartnation.*",
              summary: "Which local events the bridge publishes to smartnation/events/<type>."),
        .init(name: "bus.buffer_capacity", expected: "an integer from 1 to 65536", defaultValue: "1024",
              summary: "Events that may wait for one in-process subscriber before publishers wait."),
        .init(name: "events.retention_hours", expected: "an integer from 1 to 87600", defaultValue: "168",
              summary: "How long the durable event log keeps events."),
        .init(name: "events.retention_megabytes", expected: "an integer from 1 to 1048576", defaultValue: "1024",
              summary: "The most space the durable event log's envelopes take."),
        .init(name: "identity.secret_key", expected: "32 bytes in base64, as `openssl rand -base64 32` prints", defaultValue: nil,
              summary: "Seals TOTP secrets, OpenID signing keys and CA keys at rest; required, from a secret store, kept apart from the data directory. Only with demo data may it be unset: then generated once into <data_dir>/identity-secret.key (mode 0600)."),
        .init(name: "identity.issuer", expected: "an http:// or https:// URL without a trailing slash", defaultValue: nil,
              summary: "The OpenID issuer identifier, the public base URL integrators reach. Unset: http:// and http.address."),
        .init(name: "identity.password_rounds", expected: "an integer from 210000 to 10000000", defaultValue: "600000",
              summary: "PBKDF2-HMAC-SHA256 rounds for new password hashes (OWASP: 600,000). A password stored at another cost is rehashed at this one at its next login."),
        .init(name: "identity.development_clients", expected: "true or false", defaultValue: "false",
              summary: "Whether OpenID clients may register without a JWKS and authenticate with a client secret (client_secret_basic). Off in production, as FAPI 2.0 asks; demo_data turns it on."),
        .init(name: "admin.token", expected: "16 to 256 characters", defaultValue: nil,
              summary: "The operator token for /admin routes (Authorization: Bearer). Unset: generated once into <data_dir>/admin.token (mode 0600)."),
        .init(name: "demo_data", expected: "true or false", defaultValue: "false",
              summary: "Loads demo data at start (a citizen and a development OpenID client); make run turns it on."),
        .init(name: "shutdown.grace_seconds", expected: "an integer from 1 to 300", defaultValue: "10",
              summary: "How long a graceful shutdown waits for in-flight work."),
    ]

    /// The key named `name`, if there is one.
    public static func named(_ name: String) -> ConfigurationKey? {
        all.first { $0.name == name }
    }
}
