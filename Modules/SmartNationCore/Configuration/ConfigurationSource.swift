/// Where a configuration value came from; error messages name it so an operator knows what to fix.
public enum ConfigurationSource: Sendable, Hashable, CustomStringConvertible {
    /// The built-in default.
    case defaultValue
    /// The YAML file at this path.
    case file(String)
    /// This environment variable.
    case environment(String)
    /// This command-line flag.
    case flag(String)

    public var description: String {
        switch self {
        case .defaultValue: return "the default"
        case .file(let path): return "file \(path)"
        case .environment(let variable): return "environment variable \(variable)"
        case .flag(let flag): return "flag \(flag)"
        }
    }
}

/// A value before it is checked: a scalar's text or a list's items, with its source.
public struct RawConfigurationValue: Sendable, Hashable {
    /// The text of each item; one item for a scalar.
    public var items: [String]
    /// Whether the value was written as a list.
    public var isList: Bool
    /// Where it came from.
    public var source: ConfigurationSource

    /// A scalar value.
    public static func scalar(_ text: String, from source: ConfigurationSource) -> Self {
        Self(items: [text], isList: false, source: source)
    }

    /// A list value.
    public static func list(_ items: [String], from source: ConfigurationSource) -> Self {
        Self(items: items, isList: true, source: source)
    }
}
