import SmartNationCore

/// A value that is text checked on the way in (an NRIC, a UEN, a mobile number, an email address):
/// it encodes as its canonical text and decodes through the same check, so nothing unchecked is
/// ever read back from storage or the wire.
public protocol CheckedIdentifier: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The canonical text.
    var value: String { get }
    /// Parses and checks `text`.
    init(_ text: String) throws(SmartNationError)
}

extension CheckedIdentifier {
    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
