/// A strict RFC 8259 JSON parser with limits on size and nesting depth.
///
/// It exists because the bus parses every envelope that crosses a process boundary (MQTT, the outbox,
/// the event log) and needs exact integers, precise error positions and hard limits, none of which
/// `JSONSerialization` offers.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public var maximumDepth: Int
    /// The largest input accepted, in bytes.
    public var maximumByteCount: Int

    /// Creates a parser with the given limits.
    public init(maximumDepth: Int = 64, maximumByteCount: Int = 1 << 20) {
        precondition(maximumDepth > 0 && maximumByteCount > 0)
        self.maximumDepth = maximumDepth
        self.maximumByteCount = maximumByteCount
    }

    /// Why a document was refused, and where.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What was wrong.
        public let reason: String
        /// The byte offset where parsing stopped.
        public let offset: Int

        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Parses one complete JSON document; trailing content other than white space is an error.
    public func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSONValue {
        guard bytes.count <= maximumByteCount else {
            throw Failure(reason: "document larger than \(maximumByteCount) bytes", offset: 0)
        }
        let buffer = Array(bytes)
        var cursor = Cursor(bytes: buffer, maximumDepth: maximumDepth)
        let value = try cursor.parseValue(depth: 0)
        cursor.skipWhitespace()
        guard cursor.position == buffer.count else {
            throw Failure(reason: "unexpected content after the document", offset: cursor.position)
        }
        return value
    }

    private struct Cursor {
        let bytes: [UInt8]
        let maximumDepth: Int
        var position = 0

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        func failure(_ reason: String) -> Failure {
            Failure(reason: reason, offset: position)
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of document") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw failure("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
            let count = literal.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw failure("unexpected end of document") }
            for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
                throw failure("invalid literal")
            }
            position += count
        }

        mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth)") }
            position += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw failure("expected a member name")
                }
                let key = try parseString()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
                position += 1
                let value = try parseValue(depth: depth)
                guard members.updateValue(value, forKey: key) == nil else { throw failure("duplicate member \"\(key)\"") }
                skipWhitespace()
                guard position < bytes.count else { throw failure("unexpected end of document") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                } else {
                    throw failure("expected ',' or '}'")
                }
            }
        }

        mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth)") }
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                elements.append(try parseValue(depth: depth))
                skipWhitespace()
                guard position < bytes.count else { throw failure("unexpected end of document") }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                } else {
                    throw failure("expected ',' or ']'")
                }
            }
        }

        mutating func parseNumber() throws(Failure) -> JSONValue {
            let start = position
            var isInteger = true
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid number") }
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
            } else {
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid fraction") }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard position < bytes.count, isDigit(bytes[position]) else { throw failure("invalid exponent") }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if isInteger, let value = Int64(text) { return .integer(value) }
            guard let value = Double(text), value.isFinite else { throw failure("number out of range") }
            return .number(value)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func parseString() throws(Failure) -> String {
            position += 1
            var runStart = position
            var result = ""
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    result += try validatedUTF8(bytes[runStart..<position])
                    position += 1
                    return result
                }
                if byte < 0x20 { throw failure("control character in string") }
                if byte == UInt8(ascii: "\\") {
                    result += try validatedUTF8(bytes[runStart..<position])
                    position += 1
                    result.unicodeScalars.append(try parseEscape())
                    runStart = position
                    continue
                }
                position += 1
            }
            throw failure("unterminated string")
        }

        func validatedUTF8(_ slice: ArraySlice<UInt8>) throws(Failure) -> String {
            guard let text = String(validatingUTF8Bytes: slice) else { throw failure("invalid UTF-8") }
            return text
        }

        mutating func parseEscape() throws(Failure) -> Unicode.Scalar {
            guard position < bytes.count else { throw failure("unterminated escape") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try parseHexQuad()
                if (0xD800...0xDBFF).contains(high) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                        bytes[position + 1] == UInt8(ascii: "u")
                    else { throw failure("unpaired surrogate") }
                    position += 2
                    let low = try parseHexQuad()
                    guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate") }
                    let combined = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    guard let scalar = Unicode.Scalar(combined) else { throw failure("invalid escape") }
                    return scalar
                }
                guard let scalar = Unicode.Scalar(high) else { throw failure("unpaired surrogate") }
                return scalar
            default:
                throw failure("invalid escape")
            }
        }

        mutating func parseHexQuad() throws(Failure) -> UInt32 {
            guard position + 4 <= bytes.count else { throw failure("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw failure("invalid \\u escape")
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }
    }
}
