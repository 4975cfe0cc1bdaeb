import Crypto
import Foundation
import SmartNationCore

/// Unguessable tokens from the system's random generator, written base64url without padding
/// (RFC 4648 §5): session tokens, device-challenge nonces, OAuth codes and tokens.
public enum RandomToken {
    /// The SHA-256 of a token, the form bearer tokens are stored in.
    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// The SHA-256 of `text` in base64url: PKCE challenges, DPoP `ath`.
    static func hashBase64URL(_ text: String) -> String {
        hash(text).base64URLEncoded
    }

    /// `byteCount` random bytes as base64url text.
    public static func make(byteCount: Int = 32) -> String {
        precondition(byteCount >= 16, "a token carries at least 128 bits")
        return Data(SecureRandom.bytes(byteCount)).base64URLEncoded
    }

    /// Whether `text` could be a token ``make(byteCount:)`` made: exactly `byteCount` bytes in
    /// base64url without padding.
    public static func isWellFormed(_ text: String, byteCount: Int = 32) -> Bool {
        text.utf8.count == (byteCount * 4 + 2) / 3 && Data.decodeBase64URL(text.utf8)?.count == byteCount
    }

    /// A token that sorts by when it was made, and the key it is stored under (``storageKey(_:)``):
    /// the milliseconds since 1970 at `now` in 8 big-endian bytes, then 32 random bytes — 54
    /// base64url characters. Stored under that key, the codes and tokens a busy provider issues land
    /// on the last page of their B-tree rather than on a random one, so a commit writes the same few
    /// pages however large the table grows.
    static func makeTimeOrdered(at now: Date) -> (token: String, storageKey: Data) {
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let time = (0..<8).map { UInt8(truncatingIfNeeded: milliseconds >> (8 * (7 - $0))) }
        let token = Data(time + SecureRandom.bytes(32)).base64URLEncoded
        return (token, Data(time) + hash(token))
    }

    /// The key a token is stored under: for a time-ordered token (``makeTimeOrdered(at:)``) its 8
    /// time bytes followed by its SHA-256, so keys sort by time; for any other token its SHA-256.
    static func storageKey(_ token: String) -> Data {
        guard token.utf8.count == timeOrderedLength, let bytes = Data.decodeBase64URL(token.utf8) else { return hash(token) }
        return Data(bytes.prefix(8)) + hash(token)
    }

    /// The length of a time-ordered token: 40 bytes in base64url without padding.
    private static let timeOrderedLength = 54
}

extension Data {
    /// Base64url without padding (RFC 4648 §5), written directly from a table: ID tokens and DPoP
    /// checks encode on every request, and Foundation's replace-after-encode costs several times more.
    var base64URLEncoded: String {
        withUnsafeBytes { Self.base64URLEncoded($0) }
    }

    /// Base64url without padding of `bytes`, written straight into the new string's storage.
    static func base64URLEncoded(_ bytes: UnsafeRawBufferPointer) -> String {
        let length = (bytes.count * 4 + 2) / 3
        return base64URLAlphabet.withUTF8Buffer { table in
            String(unsafeUninitializedCapacity: length) { output in
                var written = 0
                var index = 0
                while index + 3 <= bytes.count {
                    let triple = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    output[written] = table[Int(triple >> 18)]
                    output[written + 1] = table[Int(triple >> 12 & 0x3F)]
                    output[written + 2] = table[Int(triple >> 6 & 0x3F)]
                    output[written + 3] = table[Int(triple & 0x3F)]
                    written += 4
                    index += 3
                }
                let remaining = bytes.count - index
                if remaining > 0 {
                    let first = UInt32(bytes[index])
                    let second = remaining > 1 ? UInt32(bytes[index + 1]) : 0
                    let pair = first << 16 | second << 8
                    output[written] = table[Int(pair >> 18)]
                    output[written + 1] = table[Int(pair >> 12 & 0x3F)]
                    written += 2
                    if remaining > 1 {
                        output[written] = table[Int(pair >> 6 & 0x3F)]
                        written += 1
                    }
                }
                assert(written == length, "base64url without padding has 4 characters per 3 bytes, rounded up")
                return written
            }
        }
    }

    /// Decodes base64url without padding (RFC 4648 §5); `nil` when it is not.
    init?(base64URLEncoded text: some StringProtocol) {
        guard let bytes = Self.decodeBase64URL(text.utf8) else { return nil }
        self.init(bytes)
    }

    /// Decodes base64url without padding, through a table and over the text's contiguous bytes when
    /// it has them (a `Substring`'s UTF-8 view does): every JWT the provider receives is decoded three
    /// times over. `nil` for a character outside the alphabet or an impossible length.
    static func decodeBase64URL(_ text: some Collection<UInt8>) -> [UInt8]? {
        if let decoded = text.withContiguousStorageIfAvailable({ decodeBase64URL(UnsafeRawBufferPointer($0)) }) {
            return decoded
        }
        return Array(text).withUnsafeBytes { decodeBase64URL($0) }
    }

    private static func decodeBase64URL(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var valid = true
        let output = base64URLValues.withUnsafeBufferPointer { values in
            [UInt8](unsafeUninitializedCapacity: text.count * 3 / 4) { output, initializedCount in
                var accumulator: UInt32 = 0
                var bitCount = 0
                for character in text {
                    let value = values[Int(character)]
                    guard value != base64URLInvalid else {
                        valid = false
                        break
                    }
                    accumulator = accumulator << 6 | UInt32(value)
                    bitCount += 6
                    if bitCount >= 8 {
                        bitCount -= 8
                        output[initializedCount] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount))
                        initializedCount += 1
                    }
                }
            }
        }
        return valid ? output : nil
    }

    /// Each byte's value in the base64url alphabet, ``base64URLInvalid`` for a byte outside it.
    private static let base64URLValues: [UInt8] = {
        var values = [UInt8](repeating: base64URLInvalid, count: 256)
        base64URLAlphabet.withUTF8Buffer { alphabet in
            for (value, character) in alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        }
        return values
    }()

    /// The base64url alphabet (RFC 4648 §5), each character at its value.
    private static let base64URLAlphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    private static let base64URLInvalid: UInt8 = 0xFF
}
