import Foundation

/// Unguessable tokens from the system's random generator, written base64url without padding
/// (RFC 4648 §5): session tokens and device-challenge nonces.
enum RandomToken {
    /// `byteCount` random bytes as base64url text.
    static func make(byteCount: Int = 32) -> String {
        precondition(byteCount >= 16, "a token carries at least 128 bits")
        var generator = SystemRandomNumberGenerator()
        return Data((0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64URLEncoded
    }
}

extension Data {
    /// Base64url without padding (RFC 4648 §5).
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
