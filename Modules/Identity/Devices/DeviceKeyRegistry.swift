import Crypto
import Foundation
import SmartNationCore

/// Registers, lists and revokes citizens' device keys, and logs devices in by challenge and signature.
public struct DeviceKeyRegistry: Sendable {
    /// How long a challenge may be answered.
    public static let challengeLifetime: TimeInterval = 120
    /// The most live devices one citizen may register.
    public static let devicesPerCitizenMax = 10

    private let store: any DeviceKeyStore
    private let challenges: DeviceChallengeAuthenticator
    private let auditTrail: any AuditTrail
    private let throttle: LoginThrottle
    private let clock: @Sendable () -> Date

    /// Creates a registry over `store`, recording every device login in `auditTrail` and locking out
    /// client addresses that keep failing (`throttle`). Challenges are authenticated under a key
    /// derived from `sealer`'s, so a challenge issued before a restart is still answered after it
    /// when the daemon keeps its `identity.secret_key`; `clock` gives the current time.
    public init(
        store: any DeviceKeyStore, sealer: SecretSealer, auditTrail: any AuditTrail, throttle: LoginThrottle,
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        challenges = DeviceChallengeAuthenticator(sealer: sealer)
        self.auditTrail = auditTrail
        self.throttle = throttle
        self.clock = clock
    }

    /// Registers a device's P-256 public key (X9.63 uncompressed, 65 bytes) for a citizen. A refusal
    /// is audited as ``DeviceRegistrationRejected``.
    ///
    /// `confirmingPresence` — the citizen's password and one-time code checked, the code spent
    /// (``PasswordLogin/confirmPresence(of:password:oneTimeCode:clientAddress:)``) — runs only once
    /// the registration's own checks have passed: the id's form, the key, the id free and the
    /// citizen below ``devicesPerCitizenMax``. A registration refused for any of those spends no
    /// one-time code. (The last two are checked again when the key is stored, against concurrent
    /// registrations.)
    public func register(
        deviceID: String,
        subject: String,
        displayName: String,
        publicKey: Data,
        confirmingPresence: (@Sendable () async throws(SmartNationError) -> Void)? = nil
    ) async throws(SmartNationError) -> DeviceKey {
        do {
            return try await registerChecked(
                deviceID: deviceID, subject: subject, displayName: displayName, publicKey: publicKey, confirmingPresence: confirmingPresence)
        } catch {
            guard error.httpStatus < 500 else { throw error }
            try await auditTrail.recordAudit(try CloudEvent(
                DeviceRegistrationRejected(subject: subject, deviceID: deviceID.prefix(utf8ByteCount: 64), code: error.code.rawValue),
                source: identityEventSource, subject: subject, time: clock()))
            throw error
        }
    }

    private func registerChecked(
        deviceID: String, subject: String, displayName: String, publicKey: Data,
        confirmingPresence: (@Sendable () async throws(SmartNationError) -> Void)?
    ) async throws(SmartNationError) -> DeviceKey {
        try Self.checkDeviceID(deviceID)
        guard (try? P256.Signing.PublicKey(x963Representation: publicKey)) != nil else {
            throw SmartNationError(.identityDeviceKeyInvalid, parameters: ["expected": "a P-256 public key, X9.63 uncompressed, in base64"])
        }
        if let confirmingPresence {
            guard try await store.key(deviceID: deviceID) == nil else { throw SmartNationError(.identityDeviceExists, httpStatus: 409) }
            guard try await store.keys(subject: subject).count(where: { $0.revokedAt == nil }) < Self.devicesPerCitizenMax else {
                throw SmartNationError(.identityDeviceLimit, parameters: ["maximum": String(Self.devicesPerCitizenMax)], httpStatus: 409)
            }
            try await confirmingPresence()
        }
        let key = DeviceKey(
            deviceID: deviceID, subject: subject, displayName: displayName.prefix(utf8ByteCount: 256), publicKey: publicKey,
            registeredAt: clock(), revokedAt: nil)
        try await store.insert(key, liveKeysMax: Self.devicesPerCitizenMax)
        return key
    }

    /// The citizen's devices, revoked ones included, newest first.
    public func devices(of subject: String) async throws(SmartNationError) -> [DeviceKey] {
        try await store.keys(subject: subject)
    }

    /// Revokes one of the citizen's devices; throws ``SmartNationError/Code/identityDeviceNotFound``
    /// when the citizen has no such live device.
    public func revoke(deviceID: String, of subject: String) async throws(SmartNationError) {
        guard try await store.revoke(deviceID: deviceID, subject: subject, at: clock()) else {
            throw SmartNationError(.identityDeviceNotFound, httpStatus: 404)
        }
    }

    /// Issues a challenge for the device `deviceID` to sign, for `purpose`. A malformed device id or
    /// purpose is refused with its own code.
    ///
    /// Nothing is stored and no device is looked up: the challenge carries its device, purpose and
    /// expiry under the platform's key (``DeviceChallengeAuthenticator``). So asking for challenges
    /// neither fills a table nor crowds out the owner's, however many addresses ask, and the answer
    /// does not tell whether a device has that id — a login answered for an id no device holds
    /// fails as ``DeviceLoginOutcome/badSignature``, as any wrong signature does.
    public func challenge(deviceID: String, purpose: String) throws(SmartNationError) -> DeviceChallenge {
        try Self.checkDeviceID(deviceID)
        guard !purpose.isEmpty, purpose.utf8.count <= 64, !purpose.contains("\n") else {
            throw SmartNationError(.identityDevicePurposeInvalid, parameters: ["expected": "a purpose of 1 to 64 bytes without a line break"])
        }
        return challenges.issue(
            deviceID: deviceID, purpose: purpose, expiresAt: Date(timeIntervalSince1970: clock().timeIntervalSince1970 + Self.challengeLifetime))
    }

    /// Checks a device's answer: the challenge must be one this platform issued, unexpired, the
    /// DER-encoded ECDSA signature over ``DeviceChallenge/signedBytes`` must verify against its
    /// device's key, and the challenge must be issued for ``DeviceChallenge/loginPurpose`` and not
    /// used before; a right signature by a revoked device's key is
    /// ``DeviceLoginOutcome/deviceNotActive``. The first right signature spends the challenge; a wrong
    /// one spends nothing and writes nothing but its failure — a signature cannot be guessed, so
    /// there is nothing to gain by retrying, and spending on wrong answers would let anyone fill the
    /// log. Without the device's key every outcome past the nonce is
    /// ``DeviceLoginOutcome/badSignature``, in the same time whether or not a device has the id.
    /// Every outcome is recorded as `login.succeeded` (method `hwk`) or `login.failed`. Failed answers count against the client
    /// address; past the throttle's free failures it is locked out for a doubling time
    /// (``DeviceLoginOutcome/lockedOut(until:)``), whatever it sends. They do not count against the
    /// device: an ECDSA signature cannot be guessed, so a count there would only let anyone who
    /// knows a device's id lock its owner out.
    public func login(nonce: String, signature: Data, clientAddress: String) async throws(SmartNationError) -> DeviceLoginOutcome {
        let now = clock()
        var (outcome, subject) = try await check(nonce: nonce, signature: signature)
        let keys: [LoginThrottle.Key] = [.clientAddress(clientAddress)]
        let verified = if case .verified = outcome { true } else { false }
        if let until = try await throttle.settle(keys, now: now, succeeded: verified) {
            outcome = .lockedOut(until: until)
        }
        let event: CloudEvent
        if case .verified(let subject) = outcome {
            event = try CloudEvent(
                LoginSucceeded(subject: subject, methods: ["hwk"], clientAddress: clientAddress),
                source: identityEventSource, subject: subject, time: now)
        } else {
            event = try CloudEvent(
                LoginFailed(subject: subject, reason: "device_\(outcome.reason)", clientAddress: clientAddress),
                source: identityEventSource, subject: subject, time: now)
        }
        try await auditTrail.recordAudit(event)
        return outcome
    }

    /// Refuses a device id that is not 1 to 64 ASCII letters, digits, `-` or `_` — the rule that
    /// keeps it out of the line structure of ``DeviceChallenge/signedBytes``.
    private static func checkDeviceID(_ deviceID: String) throws(SmartNationError) {
        let bytes = deviceID.utf8
        guard !bytes.isEmpty, bytes.count <= 64,
              bytes.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95 })
        else {
            throw SmartNationError(.identityDeviceIDInvalid, parameters: ["expected": "1 to 64 letters, digits, - or _"])
        }
    }

    private func check(nonce: String, signature: Data) async throws(SmartNationError) -> (DeviceLoginOutcome, subject: String?) {
        let now = clock()
        guard let (challenge, challengeID) = challenges.open(nonce: nonce),
              challenge.expiresAt <= now.addingTimeInterval(Self.challengeLifetime + Self.clockStepAllowance)
        else { return (.unknownChallenge, nil) }
        let key = try await store.key(deviceID: challenge.deviceID)
        guard now <= challenge.expiresAt else { return (.expired, key?.subject) }
        // An id no device has is checked against a key nobody holds, so that it fails as any wrong
        // signature does, in the same time.
        let publicKey = key.flatMap { try? P256.Signing.PublicKey(x963Representation: $0.publicKey) } ?? Self.keyNobodyHolds
        guard let ecdsa = try? P256.Signing.ECDSASignature(derRepresentation: signature),
              publicKey.isValidSignature(ecdsa, for: challenge.signedBytes), let key
        else { return (.badSignature, key?.subject) }
        guard challenge.purpose == DeviceChallenge.loginPurpose else { return (.otherPurpose, key.subject) }
        guard try await store.spend(challengeID: challengeID, expiresAt: challenge.expiresAt) else { return (.replayed, key.subject) }
        guard key.revokedAt == nil else { return (.deviceNotActive, key.subject) }
        return (.verified(subject: key.subject), key.subject)
    }

    /// How far the clock may have stepped back since a challenge was issued: a nonce expiring later
    /// than a new one would, by more than this, was made under a wrong clock and is refused as unknown.
    private static let clockStepAllowance: TimeInterval = 300

    /// The public half of a key made at start and thrown away: no signature verifies against it.
    private static let keyNobodyHolds = P256.Signing.PrivateKey().publicKey
}
