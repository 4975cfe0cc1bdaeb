import Crypto
import Foundation

/// Unguessable tokens from the system's random generator, written base64url without padding
/// (RFC 4648 §5): session tokens, device-challenge nonces, OAuth codes and tokens.
enum RandomToken {
    /// The SHA-256 of a token, the form bearer tokens are stored in.
    static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    /// The SHA-256 of `text` in base64url: PKCE challenges, DPoP `ath`.
    static func hashBase64URL(_ text: String) -> String {
        hash(text).base64URLEncoded
    }

    /// `byteCount` random bytes as base64url text.
    static func make(byteCount: Int = 32) -> String {
        precondition(byteCount >= 16, "a token carries at least 128 bits")
        var generator = SystemRandomNumberGenerator()
        return Data((0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64URLEncoded
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5), written directly from a table: ID tokens and DPoP
    /// checks encode on every request, and Foundation's replace-after-encode costs several times more.
    var base64URLEncoded: String {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return alphabet.withUTF8Buffer { table in
            var output = [UInt8]()
            output.reserveCapacity((count * 4 + 2) / 3)
            var index = startIndex
            while index < endIndex {
                let first = self[index]
                let second = index + 1 < endIndex ? self[index + 1] : 0
                let third = index + 2 < endIndex ? self[index + 2] : 0
                let remaining = endIndex - index
                output.append(table[Int(first >> 2)])
                output.append(table[Int((first & 0x03) << 4 | second >> 4)])
                if remaining > 1 { output.append(table[Int((second & 0x0F) << 2 | third >> 6)]) }
                if remaining > 2 { output.append(table[Int(third & 0x3F)]) }
                index += 3
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// Decodes base64url without padding (RFC 4648 §5); `nil` when it is not.
    init?(base64URLEncoded text: String) {
        guard !text.contains("=") else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
