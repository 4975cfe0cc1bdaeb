import Foundation
import Logging
import Yams

/// Reads the daemon's configuration from its three sources and checks every value.
///
/// The file is YAML, nested by the dots of the key names:
/// ```yaml
/// http:
///   address: 0.0.0.0:8080
/// mqtt:
///   url: mqtt://broker.internal:1883
/// bridge:
///   publish: [sg.smartnation.payments.*, sg.smartnation.sensors.*]
/// ```
/// A key the daemon does not know, a value of the wrong shape, or an unreadable file is an error
/// (``SmartNationError/Code/configurationUnknownKey``, ``SmartNationError/Code/configurationInvalidValue``,
/// ``SmartNationError/Code/configurationUnreadable``) whose parameters name the key, what was expected
/// and where the value came from.
public struct ConfigurationLoader: Sendable {
    /// The largest configuration file read.
    public static let maximumFileByteCount = 1 << 20

    /// The values collected so far, by key name.
    public private(set) var values: [String: RawConfigurationValue] = [:]

    /// An empty loader: every key at its default.
    public init() {}

    /// Adds the values of a YAML file; they override defaults.
    public mutating func addFile(at path: String) throws(SmartNationError) {
        let text: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            guard size <= Self.maximumFileByteCount else {
                throw SmartNationError(
                    .configurationUnreadable,
                    parameters: ["path": path, "reason": "larger than \(Self.maximumFileByteCount) bytes"])
            }
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch let error as SmartNationError {
            throw error
        } catch {
            throw SmartNationError(.configurationUnreadable, parameters: ["path": path, "reason": error.localizedDescription])
        }
        try addYAML(text, path: path)
    }

    /// Adds the values of YAML text read from `path`.
    public mutating func addYAML(_ text: String, path: String) throws(SmartNationError) {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw SmartNationError(.configurationUnreadable, parameters: ["path": path, "reason": "\(error)"])
        }
        guard let node else { return }
        guard case .mapping(let mapping) = node else {
            throw SmartNationError(
                .configurationUnreadable, parameters: ["path": path, "reason": "the top level is a mapping of keys"])
        }
        try flatten(mapping, prefix: "", source: .file(path))
    }

    private mutating func flatten(_ mapping: Node.Mapping, prefix: String, source: ConfigurationSource) throws(SmartNationError) {
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw SmartNationError(.configurationUnreadable, parameters: ["source": "\(source)", "reason": "keys are plain names"])
            }
            let name = prefix.isEmpty ? keyScalar.string : "\(prefix).\(keyScalar.string)"
            switch valueNode {
            case .mapping(let nested):
                guard ConfigurationKey.all.contains(where: { $0.name.hasPrefix(name + ".") }) else {
                    throw Self.unknownKey(name, source: source)
                }
                try flatten(nested, prefix: name, source: source)
            case .scalar(let scalar):
                try set(name, .scalar(scalar.string, from: source))
            case .sequence(let sequence):
                var items: [String] = []
                for item in sequence {
                    guard case .scalar(let scalar) = item else {
                        throw Self.invalid(name, source: source, value: "a nested list")
                    }
                    items.append(scalar.string)
                }
                try set(name, .list(items, from: source))
            case .alias:
                throw Self.invalid(name, source: source, value: "a YAML alias")
            }
        }
    }

    /// Adds every `SMARTNATION_*` variable that names a known key; they override the file.
    /// Variables for other programs (such as `SMARTNATION_SERVER`, read by the clients) are ignored.
    /// A list is written comma-separated.
    public mutating func addEnvironment(_ environment: [String: String]) throws(SmartNationError) {
        for key in ConfigurationKey.all {
            guard let text = environment[key.environmentVariable] else { continue }
            let source = ConfigurationSource.environment(key.environmentVariable)
            if key.name == "bridge.publish" {
                let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                try set(key.name, .list(items, from: source))
            } else {
                try set(key.name, .scalar(text, from: source))
            }
        }
    }

    /// Adds a command-line flag's value for `name`; flags override everything else.
    public mutating func addFlag(_ flag: String, key name: String, value: String) throws(SmartNationError) {
        try set(name, .scalar(value, from: .flag(flag)))
    }

    private mutating func set(_ name: String, _ value: RawConfigurationValue) throws(SmartNationError) {
        guard ConfigurationKey.named(name) != nil else { throw Self.unknownKey(name, source: value.source) }
        values[name] = value
    }

    /// Checks every value and builds the configuration.
    public func resolve() throws(SmartNationError) -> SmartNationConfiguration {
        let address = try hostAndPort("http.address")
        let retentionHours = try integer("events.retention_hours", in: 1...87_600)
        let retentionMegabytes = try integer("events.retention_megabytes", in: 1...1_048_576)
        let mqttURL = try optionalText("mqtt.url")
        if let mqttURL, !(mqttURL.hasPrefix("mqtt://") || mqttURL.hasPrefix("mqtts://")) {
            throw Self.invalid("mqtt.url", source: values["mqtt.url"]!.source, value: mqttURL)
        }
        let clientID = try text("mqtt.client_id")
        guard (1...64).contains(clientID.count) else {
            throw Self.invalid("mqtt.client_id", source: values["mqtt.client_id"]?.source ?? .defaultValue, value: clientID)
        }
        return SmartNationConfiguration(
            dataDirectory: URL(fileURLWithPath: try text("data_dir"), isDirectory: true),
            http: .init(host: address.host, port: address.port,
                        maximumBodyByteCount: try integer("http.max_body_bytes", in: 1024...67_108_864)),
            log: .init(level: try choice("log.level", Logger.Level.self), format: try choice("log.format", SmartNationConfiguration.Log.Format.self)),
            mqtt: .init(
                url: mqttURL, clientID: clientID,
                keepAliveSeconds: try integer("mqtt.keepalive_seconds", in: 5...3600),
                caFile: try optionalText("mqtt.ca_file"), certificateFile: try optionalText("mqtt.cert_file"),
                keyFile: try optionalText("mqtt.key_file"), mosquittoExecutable: try optionalText("mosquitto.executable")),
            bridge: .init(isEnabled: try boolean("bridge.enabled"), publishPatterns: try patterns("bridge.publish")),
            busBufferCapacity: try integer("bus.buffer_capacity", in: 1...65_536),
            eventRetention: EventLogRetention(
                maximumAge: .seconds(retentionHours * 3600), maximumByteCount: retentionMegabytes * 1_048_576),
            shutdownGracePeriod: .seconds(try integer("shutdown.grace_seconds", in: 1...300)),
            identity: try identity(),
            loadsDemoData: try boolean("demo_data")
        )
    }

    private func identity() throws(SmartNationError) -> SmartNationConfiguration.Identity {
        let secretKey = try optionalText("identity.secret_key")
        if let secretKey, Data(base64Encoded: secretKey)?.count != 32 {
            throw Self.invalid("identity.secret_key", source: values["identity.secret_key"]!.source, value: "(hidden)")
        }
        let issuer = try optionalText("identity.issuer")
        if let issuer {
            let components = URLComponents(string: issuer)
            guard ["http", "https"].contains(components?.scheme ?? ""), components?.host?.isEmpty == false,
                  !issuer.hasSuffix("/"), components?.query == nil, components?.fragment == nil else {
                throw Self.invalid("identity.issuer", source: values["identity.issuer"]!.source, value: issuer)
            }
        }
        let adminToken = try optionalText("admin.token")
        if let adminToken, adminToken.utf8.count < 16 || adminToken.utf8.count > 256 {
            throw Self.invalid("admin.token", source: values["admin.token"]!.source, value: "(hidden)")
        }
        return .init(
            secretKey: secretKey, issuer: issuer, adminToken: adminToken, allowsDevelopmentClients: try boolean("identity.development_clients"),
            passwordRounds: try integer("identity.password_rounds", in: 210_000...10_000_000))
    }

    // MARK: Typed readers

    private func raw(_ name: String) -> RawConfigurationValue? {
        precondition(ConfigurationKey.named(name) != nil, "\(name) is listed in ConfigurationKey.all")
        if let value = values[name] { return value }
        return ConfigurationKey.named(name)!.defaultValue.map { .scalar($0, from: .defaultValue) }
    }

    private func optionalText(_ name: String) throws(SmartNationError) -> String? {
        guard let value = raw(name) else { return nil }
        guard !value.isList, let text = value.items.first else {
            throw Self.invalid(name, source: value.source, value: "a list")
        }
        guard !text.isEmpty else { throw Self.invalid(name, source: value.source, value: "an empty value") }
        return text
    }

    private func text(_ name: String) throws(SmartNationError) -> String {
        guard let text = try optionalText(name) else {
            throw Self.invalid(name, source: .defaultValue, value: "nothing")
        }
        return text
    }

    private func integer(_ name: String, in range: ClosedRange<Int>) throws(SmartNationError) -> Int {
        let text = try text(name)
        guard let value = Int(text), range.contains(value) else {
            throw Self.invalid(name, source: raw(name)!.source, value: text)
        }
        return value
    }

    private func boolean(_ name: String) throws(SmartNationError) -> Bool {
        switch try text(name).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw Self.invalid(name, source: raw(name)!.source, value: try text(name))
        }
    }

    private func choice<Choice: RawRepresentable<String>>(_ name: String, _ type: Choice.Type) throws(SmartNationError) -> Choice {
        let text = try text(name)
        guard let value = Choice(rawValue: text.lowercased()) else {
            throw Self.invalid(name, source: raw(name)!.source, value: text)
        }
        return value
    }

    private func hostAndPort(_ name: String) throws(SmartNationError) -> (host: String, port: Int) {
        let text = try text(name)
        guard let colon = text.lastIndex(of: ":") else { throw Self.invalid(name, source: raw(name)!.source, value: text) }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { throw Self.invalid(name, source: raw(name)!.source, value: text) }
        return (host, port)
    }

    private func patterns(_ name: String) throws(SmartNationError) -> [EventPattern] {
        guard let value = raw(name) else { return [] }
        var patterns: [EventPattern] = []
        for item in value.items {
            do {
                patterns.append(try EventPattern(item))
            } catch {
                throw Self.invalid(name, source: value.source, value: item)
            }
        }
        return patterns
    }

    private static func invalid(_ name: String, source: ConfigurationSource, value: String) -> SmartNationError {
        SmartNationError(
            .configurationInvalidValue,
            parameters: [
                "key": name, "expected": ConfigurationKey.named(name)?.expected ?? "a known key",
                "value": String(value.prefix(200)), "source": "\(source)",
            ]
        )
    }

    private static func unknownKey(_ name: String, source: ConfigurationSource) -> SmartNationError {
        SmartNationError(.configurationUnknownKey, parameters: ["key": name, "source": "\(source)"])
    }
}
