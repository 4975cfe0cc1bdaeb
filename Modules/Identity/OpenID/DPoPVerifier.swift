import Crypto
import Foundation
import JWTKit
import SmartNationCore

/// The claims of a DPoP proof (RFC 9449 §4.2).
struct DPoPProofClaims: JWTPayload {
    var jti: String?
    var htm: String?
    var htu: String?
    var iat: Int?
    var ath: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Checks DPoP proofs (RFC 9449): an ES256 JWT of type `dpop+jwt` carrying its public key, for this
/// method and URL, issued within the proof window, never replayed, and — at a protected resource —
/// bound to the access token by `ath`. Returns the key's thumbprint (`jkt`).
struct DPoPVerifier: Sendable {
    static let proofBytesMax = 8 * 1024

    let replayGuard: ReplayGuard
    let settings: OpenIDSettings
    let clock: @Sendable () -> Date

    /// The `jkt` of a valid proof for `method` and `url`; `accessToken` is the token the request
    /// presents, whose hash the proof must carry.
    func verify(_ proof: String, method: String, url: String, accessToken: String? = nil) async throws(SmartNationError) -> String {
        guard proof.utf8.count <= Self.proofBytesMax,
              let parsed = try? DefaultJWTParser().parse(Array(proof.utf8), as: DPoPProofClaims.self) else {
            throw Self.invalid("the DPoP proof is not a JWT")
        }
        guard parsed.header.typ == "dpop+jwt", parsed.header.alg == "ES256" else {
            throw Self.invalid("a DPoP proof has typ dpop+jwt and alg ES256")
        }
        guard let jwk = parsed.header.jwk, jwk["kty"]?.asString == "EC", jwk["crv"]?.asString == "P-256", jwk["d"] == nil,
              let x = jwk["x"]?.asString, let y = jwk["y"]?.asString,
              let xBytes = Data(base64URLEncoded: x), let yBytes = Data(base64URLEncoded: y),
              let key = try? P256.Signing.PublicKey(rawRepresentation: xBytes + yBytes) else {
            throw Self.invalid("the DPoP proof's jwk is not a public P-256 key")
        }
        guard let dot = proof.lastIndex(of: "."),
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: parsed.signature),
              key.isValidSignature(signature, for: Data(proof[..<dot].utf8)) else {
            throw Self.invalid("the DPoP proof's signature does not verify")
        }
        let claims = parsed.payload
        guard claims.htm == method, let htu = claims.htu, Self.withoutQuery(htu) == Self.withoutQuery(url) else {
            throw Self.invalid("the DPoP proof is for another method or URL")
        }
        let now = clock().timeIntervalSince1970
        guard let iat = claims.iat, abs(TimeInterval(iat) - now) <= settings.dpopProofWindow else {
            throw Self.invalid("the DPoP proof's iat is outside the accepted window")
        }
        if let accessToken {
            let expected = RandomToken.hashBase64URL(accessToken)
            guard claims.ath == expected else { throw Self.invalid("the DPoP proof's ath does not match the access token") }
        }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else { throw Self.invalid("the DPoP proof has no jti") }
        let thumbprint = JWKThumbprint.of(key)
        let expiry = Date(timeIntervalSince1970: TimeInterval(iat) + settings.dpopProofWindow)
        guard try await replayGuard.claim("dpop:\(thumbprint):\(jti)", until: expiry) else {
            throw .oauth(.oauthDPoPProofReplayed, "invalid_dpop_proof", "the DPoP proof's jti was used before")
        }
        return thumbprint
    }

    private static func withoutQuery(_ url: String) -> String {
        String(url.prefix { $0 != "?" && $0 != "#" })
    }

    private static func invalid(_ reason: String) -> SmartNationError {
        .oauth(.oauthDPoPProofInvalid, "invalid_dpop_proof", reason)
    }
}
