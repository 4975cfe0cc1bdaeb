import Crypto
import Foundation
import SmartNationCore

/// Issues device challenges that carry themselves, and checks them when they come back: nothing is
/// stored when a challenge is issued.
///
/// A challenge's nonce is base64url (without padding) of
/// `version (1) ‖ expiry (8, seconds since 1970, big-endian) ‖ random (16) ‖ device id length (1) ‖
/// device id ‖ purpose ‖ tag (16)`, the tag the first 128 bits of an HMAC-SHA256 over everything
/// before it, under a key derived from the platform's sealing key. So a nonce cannot be made or
/// altered without that key, and the server learns the device, purpose and expiry back from it.
/// Issuing stores nothing, so no number of requests for challenges — from however many addresses —
/// fills a table or pushes out the owner's challenge; once answered with a right signature, a
/// challenge's random part is logged as spent until it expires
/// (``DeviceKeyStore/spend(challengeID:expiresAt:)``).
struct DeviceChallengeAuthenticator: Sendable {
    private static let formatVersion: UInt8 = 1
    private static let randomByteCount = 16
    private static let tagByteCount = 16
    /// The longest nonce this format makes: a 64-byte device id and a 64-byte purpose, 170 bytes,
    /// 227 characters in base64url. Longer text is refused before it is decoded.
    static let nonceLengthMax = (1 + 8 + randomByteCount + 1 + 64 + 64 + tagByteCount) * 4 / 3 + 1

    /// The latest expiry a nonce may carry (about the year 36,800): later ones could not be turned into
    /// a `Date` and back without loss. Only a nonce made under the key can carry one.
    private static let expiryMax: UInt64 = 1 << 40

    private let key: SymmetricKey

    /// An authenticator under the key `sealer` derives for device challenges.
    init(sealer: SecretSealer) {
        key = sealer.derivedKey(for: "device-challenge")
    }

    /// A new challenge for `deviceID` and `purpose` (each at most 64 bytes), answerable until
    /// `expiresAt` (whole seconds).
    func issue(deviceID: String, purpose: String, expiresAt: Date) -> DeviceChallenge {
        precondition(deviceID.utf8.count <= 64 && purpose.utf8.count <= 64, "the registry checks ids and purposes first")
        let expiry = UInt64(max(0, expiresAt.timeIntervalSince1970.rounded(.down)))
        var body: [UInt8] = [Self.formatVersion]
        body += (0..<8).map { UInt8(truncatingIfNeeded: expiry >> (8 * (7 - $0))) }
        body += SecureRandom.bytes(Self.randomByteCount)
        body.append(UInt8(deviceID.utf8.count))
        body += Array(deviceID.utf8) + Array(purpose.utf8)
        let nonce = Data(body + tag(of: body)).base64URLEncoded
        return DeviceChallenge(nonce: nonce, deviceID: deviceID, purpose: purpose, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)))
    }

    /// The challenge `nonce` stands for and its random part, the identity it is spent under; `nil`
    /// when this authenticator did not make it: malformed, altered, or made under another key.
    func open(nonce: String) -> (challenge: DeviceChallenge, id: Data)? {
        guard nonce.utf8.count <= Self.nonceLengthMax, let bytes = Data.decodeBase64URL(nonce.utf8),
              bytes.count > 1 + 8 + Self.randomByteCount + 1 + Self.tagByteCount, bytes[0] == Self.formatVersion
        else { return nil }
        let body = bytes.dropLast(Self.tagByteCount)
        guard constantTimeEquals(tag(of: body), Array(bytes.suffix(Self.tagByteCount))) else { return nil }
        let expiry = body[1..<9].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let randomPart = body[9..<(9 + Self.randomByteCount)]
        let idLength = Int(body[9 + Self.randomByteCount])
        let idStart = 10 + Self.randomByteCount
        guard body.count > idStart + idLength, expiry <= Self.expiryMax,
              let deviceID = String(validating: body[idStart..<(idStart + idLength)], as: UTF8.self),
              let purpose = String(validating: body[(idStart + idLength)...], as: UTF8.self)
        else { return nil }
        let challenge = DeviceChallenge(
            nonce: nonce, deviceID: deviceID, purpose: purpose, expiresAt: Date(timeIntervalSince1970: TimeInterval(expiry)))
        return (challenge, Data(randomPart))
    }

    private func tag(of body: some Collection<UInt8>) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(body), using: key).prefix(Self.tagByteCount))
    }
}
