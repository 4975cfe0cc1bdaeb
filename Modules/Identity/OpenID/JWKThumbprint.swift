import Crypto
import Foundation
import SmartNationCore

/// RFC 7638 JWK thumbprints of P-256 public keys: the key ids of the provider's signing keys and
/// the `jkt` that binds DPoP tokens to a client's key.
enum JWKThumbprint {
    /// The base64url SHA-256 of the key's canonical JWK (`crv`, `kty`, `x`, `y` in that order).
    static func of(x: String, y: String) -> String {
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Data(SHA256.hash(data: Data(canonical.utf8))).base64URLEncoded
    }

    /// The thumbprint of a P-256 public key.
    static func of(_ key: P256.Signing.PublicKey) -> String {
        let coordinates = P256Coordinates(key)
        return of(x: coordinates.x, y: coordinates.y)
    }
}

/// A P-256 public key's affine coordinates, base64url as JWKs write them.
struct P256Coordinates: Sendable, Hashable {
    let x: String
    let y: String

    init(_ key: P256.Signing.PublicKey) {
        let raw = key.rawRepresentation
        x = Data(raw.prefix(32)).base64URLEncoded
        y = Data(raw.suffix(32)).base64URLEncoded
    }

    /// The coordinates of a public P-256 JWK (RFC 7517/7518): `kty` EC, `crv` P-256, `x` and `y`,
    /// and no private part; `nil` for any other JWK. Whether they are a point is ``publicKey``'s check.
    init?(jwk: JSONValue) {
        guard jwk["kty"]?.stringValue == "EC", jwk["crv"]?.stringValue == "P-256", jwk["d"] == nil,
              let x = jwk["x"]?.stringValue, let y = jwk["y"]?.stringValue
        else { return nil }
        self.x = x
        self.y = y
    }

    /// The public key at these coordinates; `nil` unless each is 32 bytes and together a point on the curve.
    var publicKey: P256.Signing.PublicKey? {
        guard let xBytes = Data(base64URLEncoded: x), let yBytes = Data(base64URLEncoded: y), xBytes.count == 32, yBytes.count == 32
        else { return nil }
        return try? P256.Signing.PublicKey(rawRepresentation: xBytes + yBytes)
    }

    /// The public JWK of the key with `kid`, for a JWKS document.
    func jwk(kid: String) -> JSONValue {
        .object([
            "kty": .string("EC"), "crv": .string("P-256"), "x": .string(x), "y": .string(y),
            "kid": .string(kid), "use": .string("sig"), "alg": .string("ES256"),
        ])
    }
}
