/// Writes JSON text into a byte buffer: the serialiser for envelopes and event data.
///
/// Object members are written in sorted key order, so equal values always produce equal bytes.
public enum JSONWriter {
    /// Appends `value` as compact JSON to `buffer`.
    public static func write(_ value: JSONValue, into buffer: inout [UInt8]) {
        switch value {
        case .null: buffer.append(contentsOf: "null".utf8)
        case .bool(let flag): buffer.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer): buffer.append(contentsOf: String(integer).utf8)
        case .number(let number): writeNumber(number, into: &buffer)
        case .string(let string): writeString(string, into: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                write(element, into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            buffer.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                writeString(key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                write(members[key]!, into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// The compact JSON text of `value`.
    public static func bytes(of value: JSONValue) -> [UInt8] {
        var buffer: [UInt8] = []
        write(value, into: &buffer)
        return buffer
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Appends a finite number in Swift's shortest form that reads back to the same double (`29.5`, `1e-05`).
    static func writeNumber(_ number: Double, into buffer: inout [UInt8]) {
        precondition(number.isFinite, "JSON has no representation for NaN or infinity")
        buffer.append(contentsOf: number.description.utf8)
    }

    /// Appends `string` as a quoted JSON string, escaping what RFC 8259 requires.
    public static func writeString(_ string: String, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        let appendedWhole = string.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: needsEscape) else { return false }
            buffer.append(contentsOf: bytes)
            return true
        }
        if appendedWhole {
            buffer.append(UInt8(ascii: "\""))
            return
        }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                buffer.append(hex[Int(byte >> 4)])
                buffer.append(hex[Int(byte & 0x0F)])
            default: buffer.append(byte)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
