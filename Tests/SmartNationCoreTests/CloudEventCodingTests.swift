import Foundation
import Testing

@testable import SmartNationCore

struct TransferSettled: BusEvent, Equatable {
    static let eventType = "sg.smartnation.payments.transfer.settled"
    var transferID: String
    var amountCents: Int64
}

@Suite("CloudEvents structured JSON")
struct CloudEventCodingTests {
    @Test("an envelope with JSON data, subject and extensions survives a round trip")
    func roundTripJSON() throws {
        let event = CloudEvent(
            source: "/smartnation/payments", type: "sg.smartnation.payments.transfer.settled",
            time: Date(timeIntervalSince1970: 1_795_000_000.123456), subject: "transfer/42",
            dataContentType: "application/json", dataSchema: "https://schemas.example/transfer",
            data: .json(.object(["amount": .integer(12_345), "memo": .string("热 \"quoted\" \n தமிழ்"), "ok": .bool(true),
                                 "rate": .number(1.25), "tags": .array([.null, .string("a")])])),
            extensions: ["sgorigin": .string("node-a"), "priority": .integer(3)]
        )
        let decoded = try CloudEventCoding.decode(CloudEventCoding.encode(event))
        #expect(decoded == event)
    }

    @Test("binary data travels as data_base64")
    func roundTripBinary() throws {
        let event = CloudEvent(source: "/s", type: "t", dataContentType: "application/octet-stream", data: .binary([0, 1, 254, 255]))
        let bytes = CloudEventCoding.encode(event)
        #expect(String(decoding: bytes, as: UTF8.self).contains(#""data_base64":"AAH+/w==""#))
        #expect(try CloudEventCoding.decode(bytes) == event)
    }

    @Test("a typed event encodes into data and decodes back")
    func typedEvent() throws {
        let settled = TransferSettled(transferID: "T-1", amountCents: 10_000)
        let event = try CloudEvent(settled, source: "/smartnation/payments", subject: "T-1")
        #expect(event.type == TransferSettled.eventType)
        let decoded = try CloudEventCoding.decode(CloudEventCoding.encode(event))
        #expect(try decoded.decodeData(as: TransferSettled.self) == settled)
    }

    @Test("a decoder of the wrong type refuses the event")
    func typedEventWrongType() throws {
        let event = CloudEvent(source: "/s", type: "sg.smartnation.other.thing.happened", data: .json(.object([:])))
        #expect(throws: SmartNationError(.eventMalformed)) { try event.decodeData(as: TransferSettled.self) }
    }

    @Test("the time attribute accepts every RFC 3339 form and normalises to UTC")
    func timeForms() throws {
        let base = #"{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"#
        let utc = try CloudEventCoding.decode(Array((base + #""2026-11-22T08:30:00Z"}"#).utf8))
        let offset = try CloudEventCoding.decode(Array((base + #""2026-11-22T16:30:00.000+08:00"}"#).utf8))
        #expect(utc.time == offset.time)
        #expect(EventTimestamp.format(utc.time!) == "2026-11-22T08:30:00.000000Z")
    }

    @Test(
        "malformed envelopes are refused with a reason",
        arguments: [
            ("[]", "an envelope is a JSON object"),
            ("{", "not JSON"),
            (#"{"id":"1","source":"/s","type":"t"}"#, "specversion is required"),
            (#"{"specversion":"0.3","id":"1","source":"/s","type":"t"}"#, "specversion must be"),
            (#"{"specversion":"1.0","source":"/s","type":"t"}"#, "id is required"),
            (#"{"specversion":"1.0","id":"","source":"/s","type":"t"}"#, "id must be a non-empty string"),
            (#"{"specversion":"1.0","id":"1","source":"a b","type":"t"}"#, "source must be a URI-reference"),
            (#"{"specversion":"1.0","id":"1","source":"/s"}"#, "type is required"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":7}"#, "type must be a non-empty string"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"yesterday"}"#, "time must be an RFC 3339"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"2026-02-30T00:00:00Z"}"#, "time must be an RFC 3339"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}"#, "mutually exclusive"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!"}"#, "not base64"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","Bad-Name":"x"}"#, "extension attribute Bad-Name"),
            (#"{"specversion":"1.0","id":"1","source":"/s","type":"t","ext":{"a":1}}"#, "must be a string, boolean or integer"),
            (#"{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"t"}"#, "duplicate member"),
        ])
    func malformed(document: String, reason: String) {
        do {
            _ = try CloudEventCoding.decode(Array(document.utf8))
            Issue.record("accepted \(document)")
        } catch {
            #expect(error.code == .eventMalformed)
            #expect(error.parameters["reason"]?.contains(reason) == true, "\(error)")
        }
    }

    @Test("an envelope larger than the limit is refused as too large")
    func tooLarge() {
        let padding = String(repeating: "x", count: CloudEventCoding.maximumEncodedByteCount)
        let document = #"{"specversion":"1.0","id":"1","source":"/s","type":"t","data":""# + padding + #""}"#
        #expect(throws: SmartNationError(.eventTooLarge)) { try CloudEventCoding.decode(Array(document.utf8)) }
    }

    @Test("a 64 KiB payload is carried")
    func carries64KiB() throws {
        let event = CloudEvent(source: "/s", type: "t", data: .json(.string(String(repeating: "y", count: 64 * 1024))))
        #expect(try CloudEventCoding.decode(CloudEventCoding.encode(event)) == event)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("integers stay exact and escapes decode")
    func values() throws {
        let value = try JSONParser().parse(Array(#"{"big":9007199254740993,"s":"\u00e9\ud83d\ude00\n","f":-1.5e2}"#.utf8))
        #expect(value["big"] == .integer(9_007_199_254_740_993))
        #expect(value["s"] == .string("é😀\n"))
        #expect(value["f"] == .number(-150))
    }

    @Test("refuses trailing content, bad UTF-8, lone surrogates, leading zeros and deep nesting",
          arguments: ["{} x", "\"\u{7F}\u{01}\"", #""\ud800""#, "012", String(repeating: "[", count: 65) + String(repeating: "]", count: 65)])
    func refusals(document: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(Array(document.utf8)) }
    }

    @Test("names and values in Chinese, Tamil and accented Malay are kept as written, beside escapes")
    func unicodeText() throws {
        let value = try JSONParser().parse(Array(#"{"名字":"陈大文","பெயர்":"முருகன்","nama":"Siti \u0041. Nurhaliza é"}"#.utf8))
        #expect(value["名字"] == .string("陈大文"))
        #expect(value["பெயர்"] == .string("முருகன்"))
        #expect(value["nama"] == .string("Siti A. Nurhaliza é"))
    }

    @Test("invalid UTF-8 bytes are refused, alone or after ASCII: a stray byte, a cut sequence, an overlong form")
    func invalidUTF8() {
        for document: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x61, 0x62, 0xC3, 0x22], [0x22, 0x61, 0xC0, 0xAF, 0x22], [0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22]] {
            #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(document) }
        }
    }
}
