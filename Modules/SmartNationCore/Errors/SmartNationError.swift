/// The error shape every platform uses: a stable machine-readable code, a message key the
/// Multilingual catalogues render in the caller's language, the parameters that message needs,
/// and the HTTP status an API answers with.
///
/// Codes are dotted and owned by the platform that raises them (`core.config.invalid_value`,
/// `payments.transfer.limit_exceeded`). Two errors are equal when their codes are equal, so tests and
/// callers match on the code while the parameters stay free to carry detail. New codes never break
/// callers: ``Code`` is a struct, not an enum.
public struct SmartNationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, dotted error code. Never renamed once shipped.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The dotted code, such as `core.config.invalid_value`.
        public let rawValue: String

        /// Creates a code from its dotted form.
        public init(rawValue: String) {
            precondition(!rawValue.isEmpty, "an error code is never empty")
            self.rawValue = rawValue
        }

        /// Creates a code from its dotted form.
        public init(_ rawValue: String) {
            self.init(rawValue: rawValue)
        }

        public var description: String { rawValue }
    }

    /// The stable code callers match on.
    public let code: Code
    /// Named values the rendered message uses (`key`, `expected`, `value` …). Never secrets.
    public let parameters: [String: String]
    /// The HTTP status an API answers this error with.
    public let httpStatus: Int
    /// Where the error was raised, for logs.
    public let file: String
    /// The line where the error was raised, for logs.
    public let line: Int

    /// The Multilingual catalogue key of this error's message: `error.` followed by the code.
    public var messageKey: String { "error.\(code.rawValue)" }

    /// The parameters a response may show its client: all of them for a refusal (4xx); for a server
    /// failure (5xx) all but `reason`, which then carries the internal cause — a database's message
    /// with the SQL it was running — for the log alone.
    public var clientParameters: [String: String] {
        httpStatus < 500 ? parameters : parameters.filter { $0.key != "reason" }
    }

    /// Creates an error.
    public init(
        _ code: Code,
        parameters: [String: String] = [:],
        httpStatus: Int = 400,
        file: String = #fileID,
        line: Int = #line
    ) {
        precondition((100...599).contains(httpStatus), "an HTTP status is between 100 and 599")
        self.code = code
        self.parameters = parameters
        self.httpStatus = httpStatus
        self.file = file
        self.line = line
    }

    public static func == (lhs: SmartNationError, rhs: SmartNationError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// The code and its parameters in a stable order, for logs and operators.
    public var description: String {
        guard !parameters.isEmpty else { return code.rawValue }
        let details = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "\(code.rawValue) (\(details))"
    }
}

extension SmartNationError {
    /// The error a store throws when its database fails: `error` itself when it is already a
    /// ``SmartNationError``, otherwise ``Code/storageUnavailable`` (HTTP 503) with the cause as `reason`.
    public static func storage(_ error: any Error, file: String = #fileID, line: Int = #line) -> SmartNationError {
        if let error = error as? SmartNationError { return error }
        return SmartNationError(.storageUnavailable, parameters: ["reason": "\(error)"], httpStatus: 503, file: file, line: line)
    }
}

extension SmartNationError.Code {
    /// A configuration value has the wrong type or is out of range.
    public static let configurationInvalidValue = Self("core.config.invalid_value")
    /// A configuration key is not known.
    public static let configurationUnknownKey = Self("core.config.unknown_key")
    /// The configuration file cannot be read or parsed.
    public static let configurationUnreadable = Self("core.config.unreadable")
    /// A CloudEvents envelope is malformed.
    public static let eventMalformed = Self("core.event.malformed")
    /// An event subscription pattern is malformed.
    public static let eventPatternInvalid = Self("core.event.pattern_invalid")
    /// An event is larger than the bus carries.
    public static let eventTooLarge = Self("core.event.too_large")
    /// A batch holds more events than one append takes.
    public static let eventBatchTooLarge = Self("core.event.batch_too_large")
    /// A subscriber name is empty or too long.
    public static let subscriberNameInvalid = Self("core.event.subscriber_name_invalid")
    /// An offset is beyond the end of the event log.
    public static let eventOffsetInvalid = Self("core.event.offset_invalid")
    /// The data directory cannot be created or written.
    public static let storageUnavailable = Self("core.storage.unavailable")
    /// The bus has been shut down.
    public static let busClosed = Self("core.bus.closed")
}
