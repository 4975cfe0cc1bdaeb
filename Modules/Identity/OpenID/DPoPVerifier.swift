import Crypto
import Foundation
import SmartNationCore

/// A DPoP proof that verified: the thumbprint of its key and the `jti` the caller must still claim.
struct DPoPProof: Sendable {
    /// The RFC 7638 thumbprint of the proof's key, which tokens are bound to.
    let jkt: String
    /// The proof's single-use `jti`.
    let replayKey: SingleUseKey
}

/// Checks DPoP proofs (RFC 9449): an ES256 JWT of type `dpop+jwt` carrying its public key, for this
/// method and URL, issued within the proof window, never replayed, and — at a protected resource —
/// bound to the access token by `ath`.
struct DPoPVerifier: Sendable {
    let replayGuard: ReplayGuard
    let settings: OpenIDSettings
    let clock: @Sendable () -> Date
    let signatures: ES256Verifier
    /// Proof keys by their coordinates, cached once a proof by the key has verified: a client signs
    /// every proof with the same key, so each is parsed and thumbprinted once.
    private let proofKeys = BoundedCache<P256Coordinates, ProofKey>(entriesMax: 4096)

    /// A verifier claiming proofs' `jti`s with `replayGuard`, within `settings`' proof window, checking
    /// signatures with `signatures`.
    init(replayGuard: ReplayGuard, settings: OpenIDSettings, signatures: ES256Verifier, clock: @escaping @Sendable () -> Date) {
        self.replayGuard = replayGuard
        self.signatures = signatures
        self.settings = settings
        self.clock = clock
    }

    /// The `jkt` of a valid proof for `method` and `url`, its `jti` claimed at once; `accessToken`
    /// is the token the request presents, whose hash the proof must carry.
    func verify(_ proof: String, method: String, url: String, accessToken: String? = nil) async throws(SmartNationError) -> String {
        let checked = try check(proof, method: method, url: url, accessToken: accessToken)
        try await replayGuard.claim(checked.replayKey)
        return checked.jkt
    }

    /// Checks a proof without claiming its `jti`; the caller claims it (``ReplayGuard/claim(_:in:)``)
    /// in the transaction that acts on the request.
    func check(_ proof: String, method: String, url: String, accessToken: String? = nil) throws(SmartNationError) -> DPoPProof {
        guard let jws = CompactJWS(proof) else { throw Self.invalid("the DPoP proof is not a JWT") }
        guard jws.header["typ"]?.stringValue == "dpop+jwt", jws.algorithm == "ES256" else {
            throw Self.invalid("a DPoP proof has typ dpop+jwt and alg ES256")
        }
        guard let jwk = jws.header["jwk"], let coordinates = P256Coordinates(jwk: jwk) else {
            throw Self.invalid("the DPoP proof's jwk is not a public P-256 key")
        }
        let cached = proofKeys.lookUp(coordinates)
        let proofKey: ProofKey
        if let known = cached.value {
            proofKey = known
        } else {
            guard let key = coordinates.publicKey else { throw Self.invalid("the DPoP proof's jwk is not a public P-256 key") }
            proofKey = ProofKey(key: VerificationKey(key), thumbprint: JWKThumbprint.of(key))
        }
        guard jws.isSigned(by: proofKey.key, using: signatures) else {
            throw .oauth(.oauthDPoPSignatureInvalid, "invalid_dpop_proof", "the DPoP proof's signature does not verify against its jwk")
        }
        if cached.value == nil { proofKeys.insert(proofKey, for: coordinates, ifNoRemovalSince: cached.removals) }
        guard jws.string("htm") == method, let htu = jws.string("htu"), Self.sameTarget(htu, as: url) else {
            throw Self.invalid("the DPoP proof is for another method or URL")
        }
        let now = clock().timeIntervalSince1970
        guard let iat = jws.seconds("iat"), abs(TimeInterval(iat) - now) <= settings.dpopProofWindow else {
            throw Self.invalid("the DPoP proof's iat is outside the accepted window")
        }
        if let accessToken {
            guard jws.string("ath") == RandomToken.hashBase64URL(accessToken) else {
                throw Self.invalid("the DPoP proof's ath does not match the access token")
            }
        }
        guard let jti = jws.string("jti"), !jti.isEmpty, jti.utf8.count <= 256 else { throw Self.invalid("the DPoP proof has no jti") }
        let thumbprint = proofKey.thumbprint
        return DPoPProof(
            jkt: thumbprint,
            replayKey: SingleUseKey(
                key: "dpop:\(thumbprint):\(jti)", expiresAt: Date(timeIntervalSince1970: TimeInterval(iat) + settings.dpopProofWindow),
                refusal: Self.replayed))
    }

    /// A proof's public key and its RFC 7638 thumbprint.
    private struct ProofKey: Sendable {
        let key: VerificationKey
        let thumbprint: String
    }

    /// The refusal of a proof whose `jti` was claimed before.
    private static let replayed = SmartNationError.oauth(.oauthDPoPProofReplayed, "invalid_dpop_proof", "the DPoP proof's jti was used before")

    /// Whether a proof's `htu` names `url`, query and fragment aside (RFC 9449 §4.3), after RFC 3986
    /// §6.2.2–6.2.3 normalisation: scheme and host in any case, the scheme's default port written
    /// or not, an empty path as `/`, unreserved characters percent-encoded or not.
    static func sameTarget(_ htu: String, as url: String) -> Bool {
        let claimed = withoutQuery(htu), expected = withoutQuery(url)
        if claimed == expected { return true }
        guard let normalisedClaim = normalised(claimed) else { return false }
        return normalisedClaim == normalised(expected)
    }

    private static func withoutQuery(_ url: String) -> Substring {
        url.prefix { $0 != "?" && $0 != "#" }
    }

    /// `url` normalised as ``sameTarget(_:as:)`` compares it; `nil` unless it is an `http` or `https`
    /// URL with a host and no user information.
    private static func normalised(_ url: Substring) -> String? {
        guard let components = URLComponents(string: String(url)), components.user == nil, components.password == nil,
              let origin = components.webOrigin
        else { return nil }
        let path = components.percentEncodedPath.isEmpty ? "/" : normalisedPercentEncoding(components.percentEncodedPath)
        return origin + path
    }

    /// `path` with percent-encoded unreserved characters decoded and other escapes in upper case.
    private static func normalisedPercentEncoding(_ path: String) -> String {
        var bytes = Array(path.utf8)[...]
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "%"), bytes.count >= 2,
                  let high = bytes[bytes.startIndex].hexDigitValue, let low = bytes[bytes.startIndex + 1].hexDigitValue
            else {
                result.append(byte)
                continue
            }
            bytes.removeFirst(2)
            let value = high << 4 | low
            if value.isURIUnreserved {
                result.append(value)
            } else {
                result.appendPercentEncoded(value)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func invalid(_ reason: String) -> SmartNationError {
        .oauth(.oauthDPoPProofInvalid, "invalid_dpop_proof", reason)
    }
}
