import SmartNationCore

extension TOTPGenerator {
    /// The `otpauth://` URI an authenticator app reads from a QR code, in Google's Key URI format:
    /// `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
    ///
    /// The issuer and account are percent-encoded as UTF-8, leaving only RFC 3986's unreserved
    /// characters as they are, so a space becomes `%20` (never `+`) and a colon inside either becomes
    /// `%3A` and cannot be read as the label's separator.
    public func provisioningURI(account: String, issuer: String) -> String {
        let encodedIssuer = Self.percentEncode(issuer)
        let encodedAccount = Self.percentEncode(account)
        return "otpauth://totp/\(encodedIssuer):\(encodedAccount)"
            + "?secret=\(secret.base32)&issuer=\(encodedIssuer)"
            + "&algorithm=SHA1&digits=\(digits)&period=\(Self.periodSeconds)"
    }

    private static func percentEncode(_ text: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if byte.isURIUnreserved {
                output.append(byte)
            } else {
                output.appendPercentEncoded(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
