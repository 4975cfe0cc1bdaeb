import SmartNationCore

/// The shared secret of a time-based one-time password (RFC 6238): random bytes the platform and the
/// citizen's authenticator app both hold.
///
/// New secrets are 20 random bytes (160 bits, the length RFC 4226 recommends for HMAC-SHA-1). The
/// base32 form is what an `otpauth://` URI and a person typing the secret by hand use. The secret
/// never appears in `description`, so logging one by mistake does not leak it.
public struct TOTPSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The length of a new secret, in bytes.
    public static let byteCountDefault = 20
    /// The shortest secret accepted, in bytes: RFC 4226 requires at least 128 bits.
    public static let byteCountMin = 16
    /// The longest secret accepted, in bytes: one SHA-1 block; longer keys are hashed down by HMAC anyway.
    public static let byteCountMax = 64

    /// The secret bytes, for storage.
    public let bytes: [UInt8]

    /// Wraps stored secret bytes; there are between ``byteCountMin`` and ``byteCountMax`` of them.
    public init(bytes: [UInt8]) {
        precondition(
            (Self.byteCountMin...Self.byteCountMax).contains(bytes.count),
            "a TOTP secret has between \(Self.byteCountMin) and \(Self.byteCountMax) bytes"
        )
        self.bytes = bytes
    }

    /// Reads a secret from base32 (RFC 4648, either case, padding optional).
    ///
    /// - Throws: ``SmartNationError`` `identity.totp.malformed` when the text is not base32 or its
    ///   length is outside ``byteCountMin``…``byteCountMax`` bytes.
    public init(base32: String) throws {
        // Eight base32 symbols per five bytes, plus padding: anything longer cannot be a valid secret.
        let symbolCountMax = (Self.byteCountMax * 8 + 4) / 5 + 6
        guard base32.utf8.count <= symbolCountMax,
            let bytes = Base32.decode(base32),
            (Self.byteCountMin...Self.byteCountMax).contains(bytes.count)
        else {
            throw SmartNationError(.identityTOTPMalformed, parameters: ["field": "secret"])
        }
        self.init(bytes: bytes)
    }

    /// Generates a new secret of ``byteCountDefault`` bytes from the system random number generator.
    public static func generate() -> TOTPSecret {
        TOTPSecret(bytes: SecureRandom.bytes(byteCountDefault))
    }

    /// The secret in upper-case base32 without padding, as an `otpauth://` URI carries it.
    public var base32: String { Base32.encode(bytes) }

    /// A redacted description that never contains the secret.
    public var description: String { "TOTPSecret(\(bytes.count) bytes, redacted)" }

    /// A redacted description that never contains the secret.
    public var debugDescription: String { description }
}
