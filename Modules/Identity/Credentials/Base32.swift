/// Base32 as RFC 4648 §6 defines it, without padding, the form `otpauth://` URIs and authenticator
/// apps use for TOTP secrets.
enum Base32 {
    /// The RFC 4648 alphabet: `A`–`Z` then `2`–`7`.
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes bytes as upper-case base32 without `=` padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bufferBitCount = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bufferBitCount += 8
            while bufferBitCount >= 5 {
                bufferBitCount -= 5
                output.append(alphabet[Int((buffer >> UInt32(bufferBitCount)) & 0x1F)])
            }
        }
        if bufferBitCount > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bufferBitCount)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base32, or returns nil when the text is not canonical base32.
    ///
    /// Letters of either case are read, since people type secrets by hand, and trailing `=` padding
    /// is ignored. Any other character, a length no byte count encodes to, or unused trailing bits
    /// that are not zero make the text unreadable.
    static func decode(_ text: String) -> [UInt8]? {
        var symbols = Array(text.utf8)
        while symbols.last == UInt8(ascii: "=") { symbols.removeLast() }
        // 1, 3 or 6 trailing symbols carry fewer bits than a whole byte needs: no input produces them.
        guard ![1, 3, 6].contains(symbols.count % 8) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count * 5 / 8)
        var buffer: UInt32 = 0
        var bufferBitCount = 0
        for symbol in symbols {
            guard let value = value(of: symbol) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bufferBitCount += 5
            if bufferBitCount >= 8 {
                bufferBitCount -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bufferBitCount)))
            }
        }
        guard buffer & ((1 << UInt32(bufferBitCount)) - 1) == 0 else { return nil }
        return output
    }

    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): symbol - UInt8(ascii: "2") + 26
        default: nil
        }
    }
}
