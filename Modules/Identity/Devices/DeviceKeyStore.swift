import Foundation
import SmartNationCore

/// Where device keys and spent challenges are kept; the SQL is in ``SQLiteDeviceKeyStore``.
public protocol DeviceKeyStore: Sendable {
    /// Stores a new key unless its citizen already holds `liveKeysMax` unrevoked keys
    /// (``SmartNationError/Code/identityDeviceLimit``), counted in the transaction that inserts, so
    /// concurrent registrations cannot pass the limit together; throws
    /// ``SmartNationError/Code/identityDeviceExists`` when the device id is taken.
    func insert(_ key: DeviceKey, liveKeysMax: Int) async throws(SmartNationError)
    /// The key of `deviceID`, revoked or not.
    func key(deviceID: String) async throws(SmartNationError) -> DeviceKey?
    /// Every key of a citizen, newest first.
    func keys(subject: String) async throws(SmartNationError) -> [DeviceKey]
    /// Marks the citizen's device revoked; returns whether a live key was revoked.
    func revoke(deviceID: String, subject: String, at date: Date) async throws(SmartNationError) -> Bool
    /// Marks a challenge spent — `challengeID` the random part of its nonce — until it expires;
    /// `false` when it was spent before. Challenges themselves are not stored
    /// (``DeviceChallengeAuthenticator``).
    func spend(challengeID: Data, expiresAt: Date) async throws(SmartNationError) -> Bool
}
