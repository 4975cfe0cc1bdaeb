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
