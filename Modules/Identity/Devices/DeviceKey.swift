import Foundation

/// A device's public key, registered by a citizen: the "biometric" factor of the Singpass-style app.
///
/// The device makes a P-256 key pair that it unlocks with a PIN or biometrics; only the public key
/// leaves the device. Logging in, the device signs a server challenge with it.
public struct DeviceKey: Sendable, Hashable {
    /// The device's identifier, chosen by the device (1–64 letters, digits, `-`, `_`).
    public let deviceID: String
    /// The citizen the device belongs to.
    public let subject: String
    /// A name the citizen recognises, such as `Pixel 9`.
    public var displayName: String
    /// The public key, X9.63 uncompressed (65 bytes).
    public let publicKey: Data
    /// When the key was registered.
    public let registeredAt: Date
    /// When the citizen revoked it; a revoked key never logs in again.
    public var revokedAt: Date?
}

/// What a device signs to log in: a random nonce bound to the device, the purpose and an expiry.
public struct DeviceChallenge: Sendable, Hashable {
    /// The challenge itself, base64url without padding, at most 227 characters: 16 random bytes with
    /// the device id, purpose and expiry, authenticated under the platform's key.
    /// Opaque to the device, which signs ``signedBytes``.
    public let nonce: String
    /// The device that must sign it.
    public let deviceID: String
    /// What the signature is for, such as ``loginPurpose`` or `approve-device-code`; a challenge
    /// answers only the purpose it was issued for.
    public let purpose: String
    /// The purpose of a challenge that logs its device's citizen in.
    public static let loginPurpose = "login"
    /// After this, the challenge is refused.
    public let expiresAt: Date

    /// The exact bytes the device signs (ECDSA P-256 with SHA-256).
    public var signedBytes: Data {
        Data("smartnation-device-challenge\n\(nonce)\n\(deviceID)\n\(purpose)\n\(Int64(expiresAt.timeIntervalSince1970))".utf8)
    }
}

/// The outcome of a device login: expected failures are values, not errors.
public enum DeviceLoginOutcome: Sendable, Hashable {
    /// The signature is valid: the device's citizen is logged in.
    case verified(subject: String)
    /// No such challenge was issued: the nonce is malformed, altered, not this platform's, or expiring
    /// later than any it issues.
    case unknownChallenge
    /// The challenge was already used.
    case replayed
    /// The challenge expired before it was answered.
    case expired
    /// The challenge was issued for another purpose than logging in.
    case otherPurpose
    /// The signature is right, but the device's key was revoked.
    case deviceNotActive
    /// The signature does not verify against the device's key and the challenge, or no device has
    /// the challenge's device id.
    case badSignature
    /// Too many failed answers from this client address: refused until this time.
    case lockedOut(until: Date)

    /// The outcome's name in audit events: `verified`, `unknown_challenge`, `replayed`, `expired`,
    /// `other_purpose`, `device_not_active`, `bad_signature`, `locked_out`.
    public var reason: String {
        switch self {
        case .verified: return "verified"
        case .unknownChallenge: return "unknown_challenge"
        case .replayed: return "replayed"
        case .expired: return "expired"
        case .otherPurpose: return "other_purpose"
        case .deviceNotActive: return "device_not_active"
        case .badSignature: return "bad_signature"
        case .lockedOut: return "locked_out"
        }
    }
}
