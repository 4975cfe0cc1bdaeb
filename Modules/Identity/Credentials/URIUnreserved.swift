extension UInt8 {
    /// Whether the byte is one of RFC 3986 §2.3's unreserved characters, `ALPHA / DIGIT / "-" / "."
    /// / "_" / "~"`: what a URI carries without percent-encoding, and what RFC 7636 §4.1 allows in a
    /// PKCE verifier. A range test, cheap enough for every token request.
    var isURIUnreserved: Bool {
        switch self {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
