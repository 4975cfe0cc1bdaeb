/// English text for an error, for command-line tools and logs until the Multilingual catalogues
/// render message keys: the code, then the parameters an operator needs to act on it.
///
/// `core.config.invalid_value: http.address expects HOST:PORT with a port from 1 to 65535, got "x" (from environment variable SMARTNATION_HTTP_ADDRESS)`
public enum ErrorDescription {
    /// One line describing `error`.
    public static func line(for error: SmartNationError) -> String {
        var parameters = error.parameters
        var text = error.code.rawValue + ":"
        if let key = parameters.removeValue(forKey: "key") {
            text += " \(key)"
            if let expected = parameters.removeValue(forKey: "expected") { text += " expects \(expected)" }
            if let value = parameters.removeValue(forKey: "value") { text += ", got \"\(value)\"" }
            if let source = parameters.removeValue(forKey: "source") { text += " (from \(source))" }
        }
        if let reason = parameters.removeValue(forKey: "reason") { text += " \(reason)" }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { text += " [\(name): \(value)]" }
        return text
    }
}
