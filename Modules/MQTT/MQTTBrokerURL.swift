import Foundation

/// Where a broker listens, parsed from a URL such as `mqtt://user:pass@host:1883` or `mqtts://host:8883`.
///
/// The scheme `mqtt` means plain TCP (default port 1883) and `mqtts` means TLS (default port 8883);
/// any other scheme, a missing host, a port outside `1...65535`, or a path, query or fragment is
/// rejected with `MQTTError.Code.invalidURL`. User name and password are percent-decoded.
public struct MQTTBrokerURL: Sendable, Hashable, CustomStringConvertible {
    /// The default port of plain MQTT.
    public static let defaultPort = 1883
    /// The default port of MQTT over TLS.
    public static let defaultTLSPort = 8883

    /// The broker's host name or IP address (without brackets for IPv6).
    public var host: String
    /// The broker's TCP port.
    public var port: Int
    /// The user name to authenticate with, if any.
    public var username: String?
    /// The password to authenticate with, if any.
    public var password: String?
    /// Whether the connection uses TLS (`mqtts`).
    public var usesTLS: Bool

    /// Creates a broker address from its parts.
    public init(host: String, port: Int, username: String? = nil, password: String? = nil, usesTLS: Bool = false) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.usesTLS = usesTLS
    }

    /// Parses a broker URL.
    ///
    /// - Throws: `MQTTError` with code `invalidURL` and the offending `url` (password masked) as a parameter.
    public init(parsing string: String) throws(MQTTError) {
        func invalid(_ reason: String) -> MQTTError {
            MQTTError(.invalidURL, parameters: ["url": Self.masked(string), "reason": reason])
        }
        guard let components = URLComponents(string: string) else { throw invalid("not a URL") }
        let usesTLS: Bool
        switch components.scheme?.lowercased() {
        case "mqtt": usesTLS = false
        case "mqtts": usesTLS = true
        default: throw invalid("the scheme must be mqtt or mqtts")
        }
        var host = components.host ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else { throw invalid("the host is missing") }
        let port = components.port ?? (usesTLS ? Self.defaultTLSPort : Self.defaultPort)
        guard (1...65_535).contains(port) else { throw invalid("the port must lie in 1...65535") }
        guard components.path.isEmpty || components.path == "/" else { throw invalid("a path is not allowed") }
        guard components.query == nil, components.fragment == nil else {
            throw invalid("a query or fragment is not allowed")
        }
        let username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        guard components.password == nil || username != nil else {
            throw invalid("a password needs a user name")
        }
        self.init(
            host: host,
            port: port,
            username: username,
            password: components.password,
            usesTLS: usesTLS
        )
    }

    /// The URL with the password replaced by `***`, safe for logs.
    public var description: String {
        var components = URLComponents()
        components.scheme = usesTLS ? "mqtts" : "mqtt"
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.user = username
        components.password = password == nil ? nil : "***"
        return components.string ?? "\(components.scheme ?? "mqtt")://\(host):\(port)"
    }

    /// The string with any password in its user information replaced by `***`, even when it does not parse.
    private static func masked(_ string: String) -> String {
        guard let schemeEnd = string.range(of: "://") else { return string }
        let authorityEnd = string[schemeEnd.upperBound...].firstIndex(of: "/") ?? string.endIndex
        let authority = string[schemeEnd.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"),
            let colon = authority[..<at].firstIndex(of: ":")
        else { return string }
        return String(string[..<string.index(after: colon)]) + "***" + String(string[at...])
    }
}
