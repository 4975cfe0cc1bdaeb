extension String {
    /// The text of `bytes` if they are valid UTF-8, `nil` otherwise.
    ///
    /// ASCII, nearly every name and value the platform parses (JSON members, form fields), is taken
    /// as it is; anything else is validated by `String(validating:as:)`, which is generic, unspecialised
    /// outside the standard library, and looks up its encoding's metadata on every call.
    @inlinable
    public init?(validatingUTF8Bytes bytes: some Collection<UInt8>) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            self.init(decoding: bytes, as: UTF8.self)
        } else if let text = String(validating: bytes, as: UTF8.self) {
            self = text
        } else {
            return nil
        }
    }
}

extension String {
    /// The longest prefix of the string whose UTF-8 is at most `byteCount` bytes, cut between
    /// Unicode scalars: what an audit event keeps of a value a caller sent, however long.
    /// (`prefix(_:)` counts characters, and one character may hold any number of combining marks.)
    public func prefix(utf8ByteCount byteCount: Int) -> String {
        precondition(byteCount >= 0, "a byte count is never negative")
        guard utf8.count > byteCount else { return self }
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in unicodeScalars {
            used += UTF8.width(scalar)
            guard used <= byteCount else { break }
            kept.append(scalar)
        }
        return String(kept)
    }
}
