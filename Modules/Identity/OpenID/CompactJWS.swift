import Crypto
import Foundation
import SmartNationCore

/// A JWS in compact serialisation (RFC 7515 §7.1) as a client sent it — a client assertion or a
/// DPoP proof: header and payload parsed, the signing input and the signature kept for the ES256
/// check. Parsing checks the form only; nothing here is trusted until ``isSigned(by:)`` holds.
///
/// The token endpoint reads two of these per request, so they are parsed once, straight into
/// ``JSONValue`` with the platform's strict parser, rather than decoded twice through `Codable`.
struct CompactJWS: Sendable {
    /// The largest JWS accepted, in bytes.
    static let bytesMax = 8 * 1024

    /// The protected header, a JSON object.
    let header: JSONValue
    /// The payload (the claims), a JSON object.
    let payload: JSONValue
    private let signingInput: Substring.UTF8View
    private let signature: [UInt8]

    private static let parser = JSONParser(maximumDepth: 8, maximumByteCount: bytesMax)

    /// Parses `text`; `nil` unless it is three base64url parts whose first two are JSON objects, and
    /// its header names no critical extension (`crit`): this provider understands none, and RFC 7515
    /// §4.1.11 has a JWS whose `crit` lists one it does not understand refused.
    init?(_ text: String) {
        let utf8 = text.utf8
        guard utf8.count <= Self.bytesMax,
              let firstDot = utf8.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = utf8[utf8.index(after: firstDot)...].firstIndex(of: UInt8(ascii: ".")),
              !utf8[utf8.index(after: secondDot)...].contains(UInt8(ascii: ".")),
              let headerBytes = Data.decodeBase64URL(utf8[..<firstDot]),
              let payloadBytes = Data.decodeBase64URL(utf8[utf8.index(after: firstDot)..<secondDot]),
              let signature = Data.decodeBase64URL(utf8[utf8.index(after: secondDot)...]),
              let header = try? Self.parser.parse(headerBytes), case .object = header, header["crit"] == nil,
              let payload = try? Self.parser.parse(payloadBytes), case .object = payload
        else { return nil }
        self.header = header
        self.payload = payload
        self.signingInput = text[..<secondDot].utf8
        self.signature = signature
    }

    /// The header's `alg`.
    var algorithm: String? { header["alg"]?.stringValue }

    /// Whether the signature is a valid ES256 signature of the signing input by `key`, checked by `verifier`.
    func isSigned(by key: VerificationKey, using verifier: ES256Verifier) -> Bool {
        verifier.isValidSignature(signature, digest: SHA256.hash(data: Data(signingInput)), by: key)
    }

    /// The string claim `name`, when present and a string.
    func string(_ name: String) -> String? {
        payload[name]?.stringValue
    }

    /// The NumericDate claim `name` in whole seconds (RFC 7519 §2 allows a fraction, dropped here),
    /// when it lies within ``numericDateMagnitudeMax`` of the epoch: callers subtract one date from
    /// another, which two unbounded integers could overflow.
    func seconds(_ name: String) -> Int? {
        switch payload[name] {
        case .integer(let value)? where value.magnitude < UInt64(Self.numericDateMagnitudeMax): return Int(value)
        case .number(let value)? where value.isFinite && value.magnitude < Double(Self.numericDateMagnitudeMax): return Int(value.rounded(.down))
        default: return nil
        }
    }

    /// The largest NumericDate magnitude taken, in seconds: some 30 million years either side of 1970.
    static let numericDateMagnitudeMax = 1_000_000_000_000_000
}

/// A P-256 public key from a JWK (RFC 7517/7518) object: `kty` EC, `crv` P-256, and no private part.
extension P256.Signing.PublicKey {
    init?(jwk: JSONValue) {
        guard let key = P256Coordinates(jwk: jwk)?.publicKey else { return nil }
        self = key
    }
}
