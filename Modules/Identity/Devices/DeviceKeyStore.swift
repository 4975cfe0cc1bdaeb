import Foundation
import SmartNationCore

/// Where device keys and outstanding challenges are kept; the SQL is in ``SQLiteDeviceKeyStore``.
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
    /// Stores a challenge issued at `requester`'s asking (a client address's throttle key), unless
    /// that requester already holds `outstandingMax` unused, unexpired ones for the device
    /// (``SmartNationError/Code/identityDeviceChallengeLimit``); when the device holds
    /// `outstandingPerDeviceMax` in all, its oldest goes to make room. Counted in the inserting
    /// transaction.
    func insert(
        _ challenge: DeviceChallenge, requester: String, outstandingMax: Int, outstandingPerDeviceMax: Int
    ) async throws(SmartNationError)
    /// Takes a challenge for use: returns it and marks it used in one step, or says it was used already.
    func consume(nonce: String) async throws(SmartNationError) -> (challenge: DeviceChallenge, alreadyUsed: Bool)?
}
