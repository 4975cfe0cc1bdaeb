import Foundation

/// The CloudEvents JSON structured mode (`application/cloudevents+json`): encode, and decode with
/// validation that names what is wrong.
public enum CloudEventCoding {
    /// The media type of a structured-mode envelope.
    public static let mediaType = "application/cloudevents+json"
    /// The largest encoded envelope the bus carries. CloudEvents asks relays to carry at least 64 KiB.
    public static let maximumEncodedByteCount = 256 * 1024
    /// The longest extension attribute name.
    public static let maximumExtensionNameLength = 20

    private static let reservedNames: Set<String> = [
        "id", "source", "type", "specversion", "time", "subject", "datacontenttype", "dataschema", "data",
        "data_base64",
    ]

    /// The JSON structured-mode bytes of `event`. Members are written in a fixed order.
    public static func encode(_ event: CloudEvent) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(512)
        buffer.append(contentsOf: #"{"specversion":"1.0","id":"#.utf8)
        JSONWriter.writeString(event.id, into: &buffer)
        appendMember("source", event.source, into: &buffer)
        appendMember("type", event.type, into: &buffer)
        if let time = event.time {
            buffer.append(contentsOf: #","time":""#.utf8)
            EventTimestamp.append(time, to: &buffer)
            buffer.append(UInt8(ascii: "\""))
        }
        if let subject = event.subject { appendMember("subject", subject, into: &buffer) }
        if let contentType = event.dataContentType { appendMember("datacontenttype", contentType, into: &buffer) }
        if let schema = event.dataSchema { appendMember("dataschema", schema, into: &buffer) }
        for name in event.extensions.keys.sorted() {
            buffer.append(UInt8(ascii: ","))
            JSONWriter.writeString(name, into: &buffer)
            buffer.append(UInt8(ascii: ":"))
            JSONWriter.write(event.extensions[name]!, into: &buffer)
        }
        switch event.data {
        case .json(let value):
            buffer.append(contentsOf: #","data":"#.utf8)
            JSONWriter.write(value, into: &buffer)
        case .binary(let bytes):
            appendMember("data_base64", Data(bytes).base64EncodedString(), into: &buffer)
        case nil:
            break
        }
        buffer.append(UInt8(ascii: "}"))
        return buffer
    }

    /// The envelope of an event about to be stored (event log, outbox): refuses an event without
    /// `id`, `source` or `type`, or one whose envelope exceeds ``maximumEncodedByteCount``, so nothing
    /// stored can fail to decode later.
    public static func encodeForStorage(_ event: CloudEvent) throws(SmartNationError) -> [UInt8] {
        guard !event.id.isEmpty, !event.source.isEmpty, !event.type.isEmpty else {
            throw malformed("id, source and type are required")
        }
        guard isURIReference(event.source) else { throw malformed("source must be a URI-reference") }
        for (name, value) in event.extensions {
            guard isValidExtensionName(name), !reservedNames.contains(name) else {
                throw malformed("extension attribute \(name) must be 1–20 lower-case letters or digits")
            }
            switch value {
            case .string, .bool, .integer: continue
            default: throw malformed("extension attribute \(name) must be a string, boolean or integer")
            }
        }
        for optional in [event.subject, event.dataContentType, event.dataSchema] where optional?.isEmpty == true {
            throw malformed("subject, datacontenttype and dataschema are absent or non-empty")
        }
        let bytes = encode(event)
        guard bytes.count <= maximumEncodedByteCount else {
            throw SmartNationError(
                .eventTooLarge,
                parameters: ["size": String(bytes.count), "maximum": String(maximumEncodedByteCount)],
                httpStatus: 413
            )
        }
        return bytes
    }

    private static func appendMember(_ name: StaticString, _ value: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: ","))
        buffer.append(UInt8(ascii: "\""))
        buffer.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        buffer.append(contentsOf: #"":"#.utf8)
        JSONWriter.writeString(value, into: &buffer)
    }

    /// Decodes a structured-mode envelope, refusing anything that is not a valid CloudEvents 1.0 event.
    ///
    /// Errors carry the code ``SmartNationError/Code/eventMalformed`` (or ``SmartNationError/Code/eventTooLarge``)
    /// and a `reason` parameter naming the attribute at fault.
    public static func decode(_ bytes: some Collection<UInt8>) throws(SmartNationError) -> CloudEvent {
        guard bytes.count <= maximumEncodedByteCount else {
            throw SmartNationError(
                .eventTooLarge,
                parameters: ["size": String(bytes.count), "maximum": String(maximumEncodedByteCount)],
                httpStatus: 413
            )
        }
        let document: JSONValue
        do {
            document = try JSONParser(maximumDepth: 64, maximumByteCount: maximumEncodedByteCount).parse(bytes)
        } catch {
            throw malformed("not JSON: \(error.description)")
        }
        guard case .object(let members) = document else { throw malformed("an envelope is a JSON object") }
        return try decode(members)
    }

    static func decode(_ members: [String: JSONValue]) throws(SmartNationError) -> CloudEvent {
        guard let version = members["specversion"] else { throw malformed("specversion is required") }
        guard version == .string(CloudEvent.specVersion) else { throw malformed("specversion must be \"1.0\"") }
        let id = try requiredString("id", in: members)
        let source = try requiredString("source", in: members)
        guard isURIReference(source) else { throw malformed("source must be a URI-reference") }
        let type = try requiredString("type", in: members)
        var time: Date?
        if let text = try optionalString("time", in: members) {
            guard let parsed = EventTimestamp.parse(text) else { throw malformed("time must be an RFC 3339 timestamp") }
            time = parsed
        }
        let contentType = try optionalString("datacontenttype", in: members)
        let data = try decodeData(members, contentType: contentType)
        var extensions: [String: JSONValue] = [:]
        for (name, value) in members where !reservedNames.contains(name) {
            guard isValidExtensionName(name) else {
                throw malformed("extension attribute \(name) must be 1–20 lower-case letters or digits")
            }
            switch value {
            case .string, .bool, .integer: extensions[name] = value
            default: throw malformed("extension attribute \(name) must be a string, boolean or integer")
            }
        }
        return CloudEvent(
            id: id, source: source, type: type, time: time,
            subject: try optionalString("subject", in: members),
            dataContentType: contentType,
            dataSchema: try optionalString("dataschema", in: members),
            data: data, extensions: extensions
        )
    }

    private static func decodeData(
        _ members: [String: JSONValue],
        contentType: String?
    ) throws(SmartNationError) -> CloudEventData? {
        switch (members["data"], members["data_base64"]) {
        case (nil, nil):
            return nil
        case (let value?, nil):
            return .json(value)
        case (nil, .string(let encoded)?):
            guard let bytes = Data(base64Encoded: encoded) else { throw malformed("data_base64 is not base64") }
            return .binary([UInt8](bytes))
        case (nil, _?):
            throw malformed("data_base64 must be a string")
        case (_?, _?):
            throw malformed("data and data_base64 are mutually exclusive")
        }
    }

    /// Whether `text` can be a URI-reference: no white space or control characters (RFC 3986 allows
    /// neither unescaped).
    static func isURIReference(_ text: String) -> Bool {
        !text.utf8.contains { $0 <= 0x20 || $0 == 0x7F }
    }

    /// Whether `name` is a valid CloudEvents extension attribute name.
    public static func isValidExtensionName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maximumExtensionNameLength
            && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= 48 && $0 <= 57) }
    }

    private static func requiredString(_ name: String, in members: [String: JSONValue]) throws(SmartNationError) -> String {
        guard let value = members[name] else { throw malformed("\(name) is required") }
        guard case .string(let text) = value, !text.isEmpty else { throw malformed("\(name) must be a non-empty string") }
        return text
    }

    private static func optionalString(_ name: String, in members: [String: JSONValue]) throws(SmartNationError) -> String? {
        guard let value = members[name] else { return nil }
        guard case .string(let text) = value, !text.isEmpty else { throw malformed("\(name) must be a non-empty string") }
        return text
    }

    private static func malformed(_ reason: String) -> SmartNationError {
        SmartNationError(.eventMalformed, parameters: ["reason": reason])
    }
}
