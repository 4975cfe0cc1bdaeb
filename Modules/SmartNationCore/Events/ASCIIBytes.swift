extension UInt8 {
    /// Whether the byte is one of RFC 3986 §2.3's unreserved characters, `ALPHA / DIGIT / "-" / "."
    /// / "_" / "~"`: what a URI carries without percent-encoding, and what RFC 7636 §4.1 allows in a
    /// PKCE verifier. A range test, cheap enough for every token request.
    @inlinable
    public var isURIUnreserved: Bool {
        switch self {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// The byte's value as a hexadecimal digit (`0`–`9`, `a`–`f`, `A`–`F`); `nil` for any other byte.
    @inlinable
    public var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends `byte` percent-encoded (RFC 3986 §2.1): `%` and two upper-case hexadecimal digits.
    @inlinable
    public mutating func appendPercentEncoded(_ byte: UInt8) {
        let digits: StaticString = "0123456789ABCDEF"
        digits.withUTF8Buffer { digits in
            append(contentsOf: [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
    }
}
