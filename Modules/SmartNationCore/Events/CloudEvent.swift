import Foundation

/// A CloudEvents 1.0 envelope: the one shape every event on the bus takes.
///
/// `source` + `id` identify an event; consumers and the event log deduplicate on that pair.
/// Identifiers made by ``EventID`` are UUIDv7, so they sort by creation time. Encode and decode
/// the JSON structured mode with ``CloudEventCoding``.
public struct CloudEvent: Sendable, Hashable {
    /// The CloudEvents specification version this envelope follows.
    public static let specVersion = "1.0"

    /// Identifies the event within its source.
    public var id: String
    /// The URI-reference of the producer, such as `/smartnation/payments`.
    public var source: String
    /// The event type, such as `sg.smartnation.payments.transfer.settled`.
    public var type: String
    /// When the occurrence happened, at microsecond precision.
    public var time: Date? {
        didSet { time = time.map(EventTimestamp.normalized) }
    }
    /// The subject within the source, such as a transfer id.
    public var subject: String?
    /// The media type of `data`; `nil` means JSON.
    public var dataContentType: String?
    /// A URI of the schema `data` adheres to.
    public var dataSchema: String?
    /// The payload.
    public var data: CloudEventData?
    /// Extension attributes (lower-case alphanumeric names, scalar values).
    public var extensions: [String: JSONValue]

    /// Creates an envelope. `time` is rounded to whole microseconds.
    public init(
        id: String = EventID.make(),
        source: String,
        type: String,
        time: Date? = Date(),
        subject: String? = nil,
        dataContentType: String? = nil,
        dataSchema: String? = nil,
        data: CloudEventData? = nil,
        extensions: [String: JSONValue] = [:]
    ) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time.map(EventTimestamp.normalized)
        self.subject = subject
        self.dataContentType = dataContentType
        self.dataSchema = dataSchema
        self.data = data
        self.extensions = extensions
    }
}

/// The payload of a ``CloudEvent``: a JSON value (`data`) or bytes (`data_base64`).
public enum CloudEventData: Sendable, Hashable {
    /// A JSON value, written inline as `data`.
    case json(JSONValue)
    /// Opaque bytes, written as `data_base64`.
    case binary([UInt8])
}

/// A typed event a platform publishes: a `Codable` payload with its CloudEvents type name.
///
/// ```swift
/// struct TransferSettled: BusEvent {
///     static let eventType = "sg.smartnation.payments.transfer.settled"
///     var transferID: String
///     var amountCents: Int64
/// }
/// try await bus.publish(CloudEvent(TransferSettled(…), source: "/smartnation/payments"))
/// ```
public protocol BusEvent: Codable, Sendable {
    /// The CloudEvents `type`, `sg.smartnation.<platform>.<entity>.<past-tense verb>`.
    static var eventType: String { get }
}

extension CloudEvent {
    /// Wraps a typed event in an envelope whose `data` is the event's JSON encoding.
    public init<Event: BusEvent>(
        _ event: Event,
        source: String,
        subject: String? = nil,
        id: String = EventID.make(),
        time: Date = Date()
    ) throws(SmartNationError) {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(event)
        } catch {
            throw SmartNationError(.eventMalformed, parameters: ["reason": "\(error)"])
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(encoded)
        } catch {
            throw SmartNationError(.eventMalformed, parameters: ["reason": error.description])
        }
        Event.assertValidTypeName()
        self.init(
            id: id, source: source, type: Event.eventType, time: time,
            subject: subject, dataContentType: "application/json", data: .json(value)
        )
    }

    /// Decodes `data` as the typed event `E`; fails when the type or the payload does not match.
    public func decodeData<E: BusEvent>(as eventType: E.Type) throws(SmartNationError) -> E {
        guard type == E.eventType else {
            throw SmartNationError(.eventMalformed, parameters: ["reason": "type \(type) is not \(E.eventType)"])
        }
        guard case .json(let value) = data else {
            throw SmartNationError(.eventMalformed, parameters: ["reason": "data is not JSON"])
        }
        do {
            return try JSONDecoder().decode(E.self, from: Data(JSONWriter.bytes(of: value)))
        } catch {
            throw SmartNationError(.eventMalformed, parameters: ["reason": "\(error)"])
        }
    }
}

extension BusEvent {
    /// Checks, in debug builds, that the type name follows the house convention.
    static func assertValidTypeName() {
        assert(
            eventType.hasPrefix("sg.smartnation.") && eventType.split(separator: ".").count >= 5,
            "event types read sg.smartnation.<platform>.<entity>.<verb>: \(eventType)"
        )
    }
}
