/// Which event types a subscription receives: one exact type, every type under a dotted prefix
/// (`sg.smartnation.payments.*`), or every type (`*`).
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable {
        case exact(String)
        case prefix(String)
        case all
    }

    private let kind: Kind

    /// Every event type.
    public static let all = EventPattern(kind: .all)

    private init(kind: Kind) {
        self.kind = kind
    }

    /// The longest pattern accepted, in bytes.
    public static let maximumLength = 256

    /// Parses a pattern: `*`, a dotted prefix ending in `.*`, or an exact type.
    ///
    /// Segments are non-empty and hold no white space; `*` may only stand alone as the last segment.
    public init(_ text: String) throws(SmartNationError) {
        guard !text.isEmpty, text.utf8.count <= Self.maximumLength else {
            throw Self.invalid(text, "a pattern is 1 to \(Self.maximumLength) bytes")
        }
        if text == "*" {
            self.init(kind: .all)
            return
        }
        let segments = text.split(separator: ".", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            guard !segment.isEmpty else { throw Self.invalid(text, "empty segment") }
            guard !segment.contains(where: \.isWhitespace) else { throw Self.invalid(text, "white space") }
            if segment.contains("*") {
                guard segment == "*", index == segments.count - 1 else {
                    throw Self.invalid(text, "* stands alone as the last segment")
                }
            }
        }
        if segments.last == "*" {
            self.init(kind: .prefix(String(text.dropLast())))
        } else {
            self.init(kind: .exact(text))
        }
    }

    /// A pattern matching exactly one event type.
    public static func exact(_ type: String) throws(SmartNationError) -> EventPattern {
        let pattern = try EventPattern(type)
        guard case .exact = pattern.kind else { throw invalid(type, "an exact type has no wildcard") }
        return pattern
    }

    /// Whether an event of `type` matches.
    @inline(__always)
    public func matches(_ type: String) -> Bool {
        switch kind {
        case .all: return true
        case .exact(let exact): return type == exact
        case .prefix(let prefix): return type.utf8.count > prefix.utf8.count && type.hasPrefix(prefix)
        }
    }

    public var description: String {
        switch kind {
        case .all: return "*"
        case .exact(let exact): return exact
        case .prefix(let prefix): return prefix + "*"
        }
    }

    private static func invalid(_ text: String, _ reason: String) -> SmartNationError {
        SmartNationError(.eventPatternInvalid, parameters: ["pattern": String(text.prefix(64)), "reason": reason])
    }
}
