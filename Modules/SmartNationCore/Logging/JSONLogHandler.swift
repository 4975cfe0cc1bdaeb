import Foundation
import Logging

/// A swift-log backend that writes one JSON object per line to standard error, for log collectors:
/// `{"time":"…","level":"info","label":"smartnationd","message":"…","metadata":{…},"source":"…"}`.
public struct JSONLogHandler: LogHandler {
    /// The least severe level written.
    public var logLevel: Logger.Level = .info
    /// Metadata attached to every line.
    public var metadata: Logger.Metadata = [:]
    private let label: String

    /// Creates a handler for the logger labelled `label`.
    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line: [String: JSONValue] = [
            "time": .string(EventTimestamp.format(Date())),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(event.message.description),
            "source": .string(event.source),
        ]
        if !fields.isEmpty {
            line["metadata"] = .object(fields.mapValues(Self.json))
        }
        var bytes = JSONWriter.bytes(of: .object(line))
        bytes.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(Data(bytes))
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): return .string(string)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let array): return .array(array.map(json))
        case .dictionary(let dictionary): return .object(dictionary.mapValues(json))
        }
    }
}
