import Crypto
import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

private struct DeviceFixture {
    let environment: IdentityTestEnvironment
    let sealer: SecretSealer
    let devices: DeviceKeyRegistry

    var clock: ManualClock { environment.clock }
    var database: DatabasePool { environment.database }
    var subject: String { environment.subject }

    static func make(throttle: LoginThrottle.Configuration = .init()) async throws -> DeviceFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "S9812381D", name: "Lim Mei Ling", dateOfBirth: "1998-02-01", sex: .female, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "1", street: "Punggol Field", postalCode: "828731")))
        let sealer = SecretSealer.random()
        return DeviceFixture(
            environment: environment, sealer: sealer, devices: registry(over: environment, sealer: sealer, throttle: throttle))
    }

    /// A registry over the environment's database, as a daemon (re)started with `sealer`'s key opens it.
    static func registry(
        over environment: IdentityTestEnvironment, sealer: SecretSealer, throttle: LoginThrottle.Configuration = .init()
    ) -> DeviceKeyRegistry {
        let clock = environment.clock
        return DeviceKeyRegistry(
            store: SQLiteDeviceKeyStore(database: environment.database), sealer: sealer,
            auditTrail: SQLiteCredentialStore(database: environment.database, sealer: sealer),
            throttle: LoginThrottle(store: SQLiteLoginThrottleStore(database: environment.database), configuration: throttle),
            clock: { clock.now })
    }

    /// A login challenge for the device `phone`.
    func phoneChallenge() throws -> DeviceChallenge {
        try devices.challenge(deviceID: "phone", purpose: DeviceChallenge.loginPurpose)
    }

    /// Answers `challenge` from `clientAddress`, signing it with `key`.
    func answer(_ challenge: DeviceChallenge, signingWith key: P256.Signing.PrivateKey, from clientAddress: String = "198.51.100.7")
        async throws -> DeviceLoginOutcome {
        try await devices.login(nonce: challenge.nonce, signature: try key.signature(for: challenge.signedBytes).derRepresentation, clientAddress: clientAddress)
    }

    /// How many spent challenges the durable log holds.
    func spentChallengeCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM oidc_spent_jti WHERE key LIKE 'device-challenge:%'") ?? 0 }
    }

    /// Registers a new key as the citizen's device `phone`; returns its private half.
    func registerPhone() async throws -> P256.Signing.PrivateKey {
        let key = P256.Signing.PrivateKey()
        _ = try await devices.register(deviceID: "phone", subject: subject, displayName: "Phone", publicKey: key.publicKey.x963Representation)
        return key
    }

    func remove() {
        environment.remove()
    }
}

@Suite("Device-bound keys")
struct DeviceKeyRegistryTests {
    @Test("a device signs the server's challenge and logs its citizen in, once")
    func login() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = P256.Signing.PrivateKey()
        _ = try await fixture.devices.register(
            deviceID: "pixel-9", subject: fixture.subject, displayName: "Pixel 9", publicKey: key.publicKey.x963Representation)
        let challenge = try fixture.devices.challenge(deviceID: "pixel-9", purpose: "login")
        let signature = try key.signature(for: challenge.signedBytes).derRepresentation
        #expect(try await fixture.devices.login(nonce: challenge.nonce, signature: signature, clientAddress: "198.51.100.7") == .verified(subject: fixture.subject))
        #expect(try await fixture.devices.login(nonce: challenge.nonce, signature: signature, clientAddress: "198.51.100.7") == .replayed)
        #expect(try await fixture.devices.login(nonce: "never-issued", signature: signature, clientAddress: "198.51.100.7") == .unknownChallenge)
        let audit = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type.hasPrefix("sg.smartnation.identity.login.") }
        #expect(audit.count == 3)
        #expect(try audit[0].decodeData(as: LoginSucceeded.self) == LoginSucceeded(subject: fixture.subject, methods: ["hwk"], clientAddress: "198.51.100.7"))
        #expect(try audit[1].decodeData(as: LoginFailed.self).reason == "device_replayed")
        #expect(try audit[2].decodeData(as: LoginFailed.self) == LoginFailed(subject: nil, reason: "device_unknown_challenge", clientAddress: "198.51.100.7"))
    }

    @Test("bad answers past the free ones lock their client address out, even with a right answer, until the lockout ends; the device itself is not locked out")
    func throttle() async throws {
        let fixture = try await DeviceFixture.make(throttle: .init(freeFailures: 3, initialLockout: 30, maximumLockout: 300))
        defer { fixture.remove() }
        let key = P256.Signing.PrivateKey()
        let stolen = P256.Signing.PrivateKey()
        _ = try await fixture.devices.register(
            deviceID: "phone", subject: fixture.subject, displayName: "Phone", publicKey: key.publicKey.x963Representation)
        for _ in 0..<4 {
            let challenge = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
            #expect(try await fixture.devices.login(
                nonce: challenge.nonce, signature: try stolen.signature(for: challenge.signedBytes).derRepresentation, clientAddress: "203.0.113.9") == .badSignature)
        }
        let owner = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        #expect(try await fixture.devices.login(
            nonce: owner.nonce, signature: try key.signature(for: owner.signedBytes).derRepresentation, clientAddress: "198.51.100.1")
            == .verified(subject: fixture.subject), "another's bad answers do not lock the owner's device out")
        let honest = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        let answer = try key.signature(for: honest.signedBytes).derRepresentation
        guard case .lockedOut(let until) = try await fixture.devices.login(nonce: honest.nonce, signature: answer, clientAddress: "203.0.113.9") else {
            Issue.record("the failing address is not locked out")
            return
        }
        #expect(until > fixture.clock.now)
        fixture.clock.advance(by: 31)
        let later = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        #expect(try await fixture.devices.login(
            nonce: later.nonce, signature: try key.signature(for: later.signedBytes).derRepresentation, clientAddress: "203.0.113.9") == .verified(subject: fixture.subject))
        let reasons = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == LoginFailed.eventType }.map { try $0.decodeData(as: LoginFailed.self).reason }
        #expect(reasons == Array(repeating: "device_bad_signature", count: 4) + ["device_locked_out"])
    }

    @Test("expired challenges, other keys, challenges for other purposes and revoked devices are refused")
    func refusals() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()

        let late = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        fixture.clock.advance(by: DeviceKeyRegistry.challengeLifetime + 1)
        #expect(try await fixture.devices.login(nonce: late.nonce, signature: try key.signature(for: late.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .expired)

        let forged = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        let otherKey = P256.Signing.PrivateKey()
        #expect(try await fixture.devices.login(nonce: forged.nonce, signature: try otherKey.signature(for: forged.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .badSignature)

        let purpose = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        let elsewhere = DeviceChallenge(nonce: purpose.nonce, deviceID: "phone", purpose: "approve-payment", expiresAt: purpose.expiresAt)
        #expect(try await fixture.devices.login(nonce: purpose.nonce, signature: try key.signature(for: elsewhere.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .badSignature)

        let payment = try fixture.devices.challenge(deviceID: "phone", purpose: "approve-payment")
        #expect(try await fixture.devices.login(nonce: payment.nonce, signature: try key.signature(for: payment.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .otherPurpose,
                "a challenge signed for another purpose does not log in")
        #expect(try await fixture.spentChallengeCount() == 0, "an expired, wrongly signed or other-purpose answer spends no challenge")

        let revoked = try fixture.devices.challenge(deviceID: "phone", purpose: "login")
        try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject)
        #expect(try await fixture.devices.login(nonce: revoked.nonce, signature: try key.signature(for: revoked.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .deviceNotActive)
        await #expect(throws: SmartNationError(.identityDeviceNotFound)) { try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject) }
        #expect(try await fixture.devices.devices(of: fixture.subject).first?.revokedAt != nil)

        #expect(try await fixture.spentChallengeCount() == 1, "a revoked device's right signature spends its challenge, so it cannot be answered again")
        let reasons = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == LoginFailed.eventType }.map { try $0.decodeData(as: LoginFailed.self).reason }
        #expect(reasons == ["device_expired", "device_bad_signature", "device_bad_signature", "device_other_purpose", "device_device_not_active"],
                "every refusal is audited with its reason")
        let refusals: [DeviceLoginOutcome] = [.expired, .badSignature, .otherPurpose, .deviceNotActive]
        #expect(refusals.map(\.refusal?.code) == [
            .identityDeviceChallengeExpired, .identityDeviceSignatureInvalid, .identityDeviceChallengeOtherPurpose, .identityDeviceNotActive,
        ], "each refusal answers the API with its own code")
    }

    @Test("closing the account revokes its devices and sessions in the same step")
    func closedAccount() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let clock = fixture.clock
        let sessions = SessionManager(store: SQLiteSessionStore(database: fixture.database), clock: { clock.now })
        let key = try await fixture.registerPhone()
        let session = try await sessions.open(subject: fixture.subject, methods: ["pwd"])
        let challenge = try fixture.devices.challenge(deviceID: "phone", purpose: DeviceChallenge.loginPurpose)

        _ = try await fixture.environment.registry.close(subject: fixture.subject, reason: "deceased")

        #expect(try await sessions.validate(token: session.token) == .revoked)
        #expect(try await sessions.activeSessions(of: fixture.subject).isEmpty)
        #expect(try await fixture.devices.devices(of: fixture.subject).allSatisfy { $0.revokedAt != nil })
        #expect(try await fixture.devices.login(nonce: challenge.nonce, signature: try key.signature(for: challenge.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .deviceNotActive)
    }

    @Test("challenges are refused only for a malformed device id or purpose, and issuing one stores nothing")
    func challengeRefusals() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        _ = try await fixture.registerPhone()
        let cases: [(deviceID: String, purpose: String, SmartNationError.Code)] = [
            ("phone\nlogin", "login", .identityDeviceIDInvalid), (String(repeating: "a", count: 65), "login", .identityDeviceIDInvalid),
            ("", "login", .identityDeviceIDInvalid), ("télé", "login", .identityDeviceIDInvalid),
            ("phone", "", .identityDevicePurposeInvalid), ("phone", "log\nin", .identityDevicePurposeInvalid),
            ("phone", String(repeating: "p", count: 65), .identityDevicePurposeInvalid),
        ]
        for (deviceID, purpose, expected) in cases {
            #expect(throws: SmartNationError(expected)) { try fixture.devices.challenge(deviceID: deviceID, purpose: purpose) }
        }
        let longest = try fixture.devices.challenge(deviceID: String(repeating: "d", count: 64), purpose: String(repeating: "p", count: 64))
        #expect(longest.nonce.utf8.count <= DeviceChallengeAuthenticator.nonceLengthMax)
        _ = try fixture.devices.challenge(deviceID: "never-registered", purpose: "login")
        #expect(try await fixture.spentChallengeCount() == 0)
        #expect(try await fixture.database.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE '%challenge%'") }.isEmpty)
    }

    @Test("a flood of challenges from any number of addresses leaves the owner's answerable, and stores nothing")
    func challengeFlood() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let owner = try fixture.phoneChallenge()
        var flood = Set<String>()
        for _ in 0..<2_000 { flood.insert(try fixture.phoneChallenge().nonce) }
        #expect(flood.count == 2_000, "every challenge is new")
        #expect(try await fixture.answer(owner, signingWith: key) == .verified(subject: fixture.subject))
        #expect(try await fixture.spentChallengeCount() == 1, "only the answered challenge is logged")
    }

    @Test("a nonce altered anywhere, made under another key or cut short is an unknown challenge, and spends nothing")
    func alteredNonces() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let challenge = try fixture.phoneChallenge()
        let bytes = try #require(Data(base64URLEncoded: challenge.nonce))
        var forgeries: [String] = (0..<bytes.count).map { index in
            var altered = bytes
            altered[index] ^= 0x01
            return altered.base64URLEncoded
        }
        forgeries.append(Data(bytes.dropLast()).base64URLEncoded)
        forgeries.append(Data(bytes.prefix(20)).base64URLEncoded)
        forgeries.append("")
        forgeries.append(String(repeating: "A", count: DeviceChallengeAuthenticator.nonceLengthMax + 1))
        forgeries.append(challenge.nonce + "!")
        let otherPlatform = DeviceFixture.registry(over: fixture.environment, sealer: .random())
        forgeries.append(try otherPlatform.challenge(deviceID: "phone", purpose: "login").nonce)
        for (index, forgery) in forgeries.enumerated() {
            let forged = DeviceChallenge(nonce: forgery, deviceID: "phone", purpose: "login", expiresAt: challenge.expiresAt)
            // Each from its own address, which the throttle would otherwise lock out after a few.
            #expect(try await fixture.answer(forged, signingWith: key, from: "203.0.113.\(index)") == .unknownChallenge, "\(forgery)")
        }
        #expect(try await fixture.spentChallengeCount() == 0)
        #expect(try await fixture.answer(challenge, signingWith: key) == .verified(subject: fixture.subject), "the real one still answers")
    }

    @Test("a wrong signature spends nothing and logs nothing: the device's right one still logs in with the same challenge, once")
    func wrongAnswersSpendNothing() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let challenge = try fixture.phoneChallenge()
        #expect(try await fixture.answer(challenge, signingWith: P256.Signing.PrivateKey(), from: "203.0.113.9") == .badSignature)
        #expect(try await fixture.devices.login(nonce: challenge.nonce, signature: Data("not DER".utf8), clientAddress: "203.0.113.9") == .badSignature)
        #expect(try await fixture.spentChallengeCount() == 0)
        #expect(try await fixture.answer(challenge, signingWith: key) == .verified(subject: fixture.subject))
        #expect(try await fixture.answer(challenge, signingWith: key) == .replayed)
        #expect(try await fixture.spentChallengeCount() == 1)
    }

    @Test("nonces made under the platform's key but malformed inside, or expiring further ahead than any it issues, are unknown challenges")
    func malformedBodiesUnderTheKey() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let macKey = fixture.sealer.derivedKey(for: "device-challenge")
        func nonce(expiry: UInt64, deviceIDLength: Int? = nil, deviceID: [UInt8] = Array("phone".utf8), purpose: [UInt8] = Array("login".utf8)) -> String {
            var body: [UInt8] = [1] + (0..<8).map { UInt8(truncatingIfNeeded: expiry >> (8 * (7 - $0))) } + Array(repeating: 7, count: 16)
            body.append(UInt8(deviceIDLength ?? deviceID.count))
            body += deviceID + purpose
            return Data(body + Array(HMAC<SHA256>.authenticationCode(for: Data(body), using: macKey).prefix(16))).base64URLEncoded
        }
        let now = UInt64(fixture.clock.now.timeIntervalSince1970)
        let wellFormed = nonce(expiry: now + 60)
        let malformed = [
            nonce(expiry: now + 60, deviceIDLength: 200), nonce(expiry: now + 60, deviceIDLength: 10),
            nonce(expiry: now + 60, purpose: []), nonce(expiry: now + 60, deviceID: [0xC3, 0x28]),
            nonce(expiry: UInt64(Int64.max)), nonce(expiry: UInt64.max), nonce(expiry: now + 3_600),
        ]
        for (index, forged) in malformed.enumerated() {
            let challenge = DeviceChallenge(nonce: forged, deviceID: "phone", purpose: "login", expiresAt: fixture.clock.now)
            #expect(try await fixture.answer(challenge, signingWith: key, from: "203.0.113.\(index)") == .unknownChallenge, "\(index)")
        }
        let honest = DeviceChallenge(nonce: wellFormed, deviceID: "phone", purpose: "login", expiresAt: Date(timeIntervalSince1970: TimeInterval(now + 60)))
        #expect(try await fixture.answer(honest, signingWith: key) == .verified(subject: fixture.subject), "the same construction, well formed, is accepted")
    }

    @Test("a challenge is spent by its random part: another spelling of the same nonce is a replay")
    func otherSpellingIsAReplay() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let challenge = try fixture.phoneChallenge()
        #expect(try await fixture.answer(challenge, signingWith: key) == .verified(subject: fixture.subject))
        // The last base64url character carries unused low bits (unless the length is a multiple of 3):
        // setting one spells the same bytes differently.
        let byteCount = try #require(Data(base64URLEncoded: challenge.nonce)).count
        try #require(byteCount % 3 != 0)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let lastCharacter = try #require(challenge.nonce.last)
        let last = try #require(alphabet.firstIndex(of: lastCharacter))
        let respelled = String(challenge.nonce.dropLast()) + String(alphabet[last ^ 1])
        #expect(Data(base64URLEncoded: respelled) == Data(base64URLEncoded: challenge.nonce))
        let variant = DeviceChallenge(nonce: respelled, deviceID: "phone", purpose: "login", expiresAt: challenge.expiresAt)
        #expect(try await fixture.answer(variant, signingWith: key) == .replayed)
    }

    @Test("a challenge issued before a restart is answered after it, once; a spent one stays spent")
    func restart() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let answeredBefore = try fixture.phoneChallenge()
        let pending = try fixture.phoneChallenge()
        #expect(try await fixture.answer(answeredBefore, signingWith: key) == .verified(subject: fixture.subject))
        let restarted = DeviceFixture.registry(over: fixture.environment, sealer: fixture.sealer)
        func answer(_ challenge: DeviceChallenge) async throws -> DeviceLoginOutcome {
            try await restarted.login(nonce: challenge.nonce, signature: try key.signature(for: challenge.signedBytes).derRepresentation, clientAddress: "198.51.100.7")
        }
        #expect(try await answer(pending) == .verified(subject: fixture.subject))
        #expect(try await answer(pending) == .replayed)
        #expect(try await answer(answeredBefore) == .replayed)
    }

    @Test("an id no device has fails as a wrong signature; a revoked device's wrong signature too, its right one as not active")
    func unknownAndRevokedDevices() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        let stranger = try fixture.devices.challenge(deviceID: "no-such-device", purpose: "login")
        #expect(try await fixture.answer(stranger, signingWith: key) == .badSignature)
        try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject)
        #expect(try await fixture.answer(try fixture.phoneChallenge(), signingWith: P256.Signing.PrivateKey()) == .badSignature)
        #expect(try await fixture.answer(try fixture.phoneChallenge(), signingWith: key) == .deviceNotActive)
        let failures = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == LoginFailed.eventType }.map { try $0.decodeData(as: LoginFailed.self) }
        #expect(failures.map(\.reason) == ["device_bad_signature", "device_bad_signature", "device_device_not_active"])
        #expect(failures.map(\.subject) == [nil, fixture.subject, fixture.subject])
    }

    @Test("concurrent registrations cannot pass the device limit together")
    func concurrentRegistrationsKeepTheLimit() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let publicKey = P256.Signing.PrivateKey().publicKey.x963Representation
        let attempts = 3 * DeviceKeyRegistry.devicesPerCitizenMax
        let outcomes = await withTaskGroup(of: SmartNationError.Code?.self) { group in
            for index in 0..<attempts {
                group.addTask {
                    await errorCode {
                        _ = try await fixture.devices.register(deviceID: "d\(index)", subject: fixture.subject, displayName: "x", publicKey: publicKey)
                    }
                }
            }
            return await group.reduce(into: [SmartNationError.Code?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == DeviceKeyRegistry.devicesPerCitizenMax)
        #expect(outcomes.filter { $0 == .identityDeviceLimit }.count == attempts - DeviceKeyRegistry.devicesPerCitizenMax)
        #expect(try await fixture.devices.devices(of: fixture.subject).count == DeviceKeyRegistry.devicesPerCitizenMax)
    }

    @Test("a registration whose presence check refuses stores nothing and answers with the check's refusal")
    func presenceRefused() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let publicKey = P256.Signing.PrivateKey().publicKey.x963Representation
        await #expect(throws: SmartNationError(.identityLoginWrongCredentials)) {
            try await fixture.devices.register(
                deviceID: "d", subject: fixture.subject, displayName: "x", publicKey: publicKey,
                confirmingPresence: { () async throws(SmartNationError) in throw SmartNationError(.identityLoginWrongCredentials, httpStatus: 401) })
        }
        #expect(try await fixture.devices.devices(of: fixture.subject).isEmpty)
        _ = try await fixture.devices.register(
            deviceID: "d", subject: fixture.subject, displayName: "x", publicKey: publicKey, confirmingPresence: { () async throws(SmartNationError) in })
        #expect(try await fixture.devices.devices(of: fixture.subject).map(\.deviceID) == ["d"])
    }

    @Test("registration refuses bad ids, bad keys, taken ids, unknown citizens and too many devices, before asking for the citizen's presence")
    func registrationRefusals() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let publicKey = P256.Signing.PrivateKey().publicKey.x963Representation
        let neverAsked: @Sendable () async throws(SmartNationError) -> Void = {
            Issue.record("a registration refused for its own reasons asks for no password or code, so it spends none")
        }
        await #expect(throws: SmartNationError(.identityDeviceIDInvalid)) {
            try await fixture.devices.register(deviceID: "bad id!", subject: fixture.subject, displayName: "x", publicKey: publicKey, confirmingPresence: neverAsked)
        }
        await #expect(throws: SmartNationError(.identityDeviceKeyInvalid)) {
            try await fixture.devices.register(
                deviceID: "d", subject: fixture.subject, displayName: "x", publicKey: Data(repeating: 4, count: 65), confirmingPresence: neverAsked)
        }
        _ = try await fixture.devices.register(deviceID: "d", subject: fixture.subject, displayName: "x", publicKey: publicKey)
        await #expect(throws: SmartNationError(.identityDeviceExists)) {
            try await fixture.devices.register(deviceID: "d", subject: fixture.subject, displayName: "x", publicKey: publicKey, confirmingPresence: neverAsked)
        }
        await #expect(throws: SmartNationError(.identityCitizenNotFound)) {
            try await fixture.devices.register(deviceID: "e", subject: "nobody", displayName: "x", publicKey: publicKey)
        }
        for index in 1..<DeviceKeyRegistry.devicesPerCitizenMax {
            _ = try await fixture.devices.register(deviceID: "d\(index)", subject: fixture.subject, displayName: "x", publicKey: publicKey)
        }
        await #expect(throws: SmartNationError(.identityDeviceLimit)) {
            try await fixture.devices.register(
                deviceID: "one-too-many", subject: fixture.subject, displayName: "x", publicKey: publicKey, confirmingPresence: neverAsked)
        }
        #expect(try await fixture.devices.devices(of: fixture.subject).count == DeviceKeyRegistry.devicesPerCitizenMax)
        let audited = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event)
        }.filter { $0.type == DeviceRegistrationRejected.eventType }.map { try $0.decodeData(as: DeviceRegistrationRejected.self) }
        let refusals: [SmartNationError.Code] = [
            .identityDeviceIDInvalid, .identityDeviceKeyInvalid, .identityDeviceExists, .identityCitizenNotFound, .identityDeviceLimit,
        ]
        #expect(audited.map(\.code) == refusals.map(\.rawValue), "every refusal is audited with its code")
        #expect(audited.first?.deviceID == "bad id!")
    }
}
