import Crypto
import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

private struct DeviceFixture {
    let environment: IdentityTestEnvironment
    let devices: DeviceKeyRegistry

    var clock: ManualClock { environment.clock }
    var database: DatabasePool { environment.database }
    var subject: String { environment.subject }

    static func make(throttle: LoginThrottle.Configuration = .init()) async throws -> DeviceFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "S9812381D", name: "Lim Mei Ling", dateOfBirth: "1998-02-01", sex: .female, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "1", street: "Punggol Field", postalCode: "828731")))
        let clock = environment.clock
        return DeviceFixture(
            environment: environment,
            devices: DeviceKeyRegistry(
                store: SQLiteDeviceKeyStore(database: environment.database),
                auditTrail: SQLiteCredentialStore(database: environment.database, sealer: .random()),
                throttle: LoginThrottle(store: SQLiteLoginThrottleStore(database: environment.database), configuration: throttle),
                clock: { clock.now }))
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
        let challenge = try await fixture.devices.challenge(deviceID: "pixel-9", purpose: "login", clientAddress: "198.51.100.7")
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
            let challenge = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
            #expect(try await fixture.devices.login(
                nonce: challenge.nonce, signature: try stolen.signature(for: challenge.signedBytes).derRepresentation, clientAddress: "203.0.113.9") == .badSignature)
        }
        let owner = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        #expect(try await fixture.devices.login(
            nonce: owner.nonce, signature: try key.signature(for: owner.signedBytes).derRepresentation, clientAddress: "198.51.100.1")
            == .verified(subject: fixture.subject), "another's bad answers do not lock the owner's device out")
        let honest = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        let answer = try key.signature(for: honest.signedBytes).derRepresentation
        guard case .lockedOut(let until) = try await fixture.devices.login(nonce: honest.nonce, signature: answer, clientAddress: "203.0.113.9") else {
            Issue.record("the failing address is not locked out")
            return
        }
        #expect(until > fixture.clock.now)
        fixture.clock.advance(by: 31)
        let later = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
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

        let late = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        fixture.clock.advance(by: DeviceKeyRegistry.challengeLifetime + 1)
        #expect(try await fixture.devices.login(nonce: late.nonce, signature: try key.signature(for: late.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .expired)

        let forged = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        let otherKey = P256.Signing.PrivateKey()
        #expect(try await fixture.devices.login(nonce: forged.nonce, signature: try otherKey.signature(for: forged.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .badSignature)

        let purpose = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        let elsewhere = DeviceChallenge(nonce: purpose.nonce, deviceID: "phone", purpose: "approve-payment", expiresAt: purpose.expiresAt)
        #expect(try await fixture.devices.login(nonce: purpose.nonce, signature: try key.signature(for: elsewhere.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .badSignature)

        let payment = try await fixture.devices.challenge(deviceID: "phone", purpose: "approve-payment", clientAddress: "198.51.100.7")
        #expect(try await fixture.devices.login(nonce: payment.nonce, signature: try key.signature(for: payment.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .otherPurpose,
                "a challenge signed for another purpose does not log in")

        let revoked = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject)
        #expect(try await fixture.devices.login(nonce: revoked.nonce, signature: try key.signature(for: revoked.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .deviceNotActive)
        await #expect(throws: SmartNationError(.identityDeviceNotFound)) { try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject) }
        #expect(try await fixture.devices.devices(of: fixture.subject).first?.revokedAt != nil)
    }

    @Test("closing the account revokes its devices and sessions in the same step")
    func closedAccount() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let clock = fixture.clock
        let sessions = SessionManager(store: SQLiteSessionStore(database: fixture.database), clock: { clock.now })
        let key = try await fixture.registerPhone()
        let session = try await sessions.open(subject: fixture.subject, methods: ["pwd"])
        let challenge = try await fixture.devices.challenge(deviceID: "phone", purpose: DeviceChallenge.loginPurpose, clientAddress: "198.51.100.7")

        _ = try await fixture.environment.registry.close(subject: fixture.subject, reason: "deceased")

        #expect(try await sessions.validate(token: session.token) == .revoked)
        #expect(try await sessions.activeSessions(of: fixture.subject).isEmpty)
        #expect(try await fixture.devices.devices(of: fixture.subject).allSatisfy { $0.revokedAt != nil })
        #expect(try await fixture.devices.login(nonce: challenge.nonce, signature: try key.signature(for: challenge.signedBytes).derRepresentation, clientAddress: "198.51.100.7") == .deviceNotActive)
    }

    @Test("challenges are issued only for a live device's well-formed id and a well-formed purpose; refusals store nothing")
    func challengeRefusals() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        _ = try await fixture.registerPhone()
        let cases: [(deviceID: String, purpose: String, SmartNationError.Code)] = [
            ("phone\nlogin", "login", .identityDeviceIDInvalid), (String(repeating: "a", count: 65), "login", .identityDeviceIDInvalid),
            ("", "login", .identityDeviceIDInvalid), ("télé", "login", .identityDeviceIDInvalid),
            ("phone", "", .identityDevicePurposeInvalid), ("phone", "log\nin", .identityDevicePurposeInvalid),
            ("phone", String(repeating: "p", count: 65), .identityDevicePurposeInvalid),
            ("never-registered", "login", .identityDeviceNotActive),
        ]
        for (deviceID, purpose, expected) in cases {
            await #expect(throws: SmartNationError(expected)) { try await fixture.devices.challenge(deviceID: deviceID, purpose: purpose, clientAddress: "198.51.100.7") }
        }
        try await fixture.devices.revoke(deviceID: "phone", of: fixture.subject)
        await #expect(throws: SmartNationError(.identityDeviceNotActive)) { try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7") }
        #expect(try await fixture.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device_challenge") } == 0)
    }

    @Test("an address holds at most so many unanswered challenges for a device: past it 429, until one is answered or expires")
    func outstandingChallengeLimit() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        var issued: [DeviceChallenge] = []
        for _ in 0..<DeviceKeyRegistry.outstandingChallengesMax {
            issued.append(try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7"))
        }
        await #expect(throws: SmartNationError(.identityDeviceChallengeLimit)) { try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7") }
        #expect(try await fixture.devices.login(
            nonce: issued[0].nonce, signature: try key.signature(for: issued[0].signedBytes).derRepresentation, clientAddress: "198.51.100.7")
            == .verified(subject: fixture.subject))
        _ = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        await #expect(throws: SmartNationError(.identityDeviceChallengeLimit)) { try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7") }
        fixture.clock.advance(by: DeviceKeyRegistry.challengeLifetime + 1)
        _ = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
    }

    @Test("a flood of challenges from other addresses neither blocks the owner's nor grows the device's past its bound")
    func challengeFloodFromOtherAddresses() async throws {
        let fixture = try await DeviceFixture.make()
        defer { fixture.remove() }
        let key = try await fixture.registerPhone()
        for attacker in 0..<20 {
            fixture.clock.advance(by: 1)
            for _ in 0..<DeviceKeyRegistry.outstandingChallengesMax {
                _ = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "203.0.113.\(attacker)")
            }
            await #expect(throws: SmartNationError(.identityDeviceChallengeLimit)) {
                try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "203.0.113.\(attacker)")
            }
        }
        let owner = try await fixture.devices.challenge(deviceID: "phone", purpose: "login", clientAddress: "198.51.100.7")
        #expect(try await fixture.devices.login(
            nonce: owner.nonce, signature: try key.signature(for: owner.signedBytes).derRepresentation, clientAddress: "198.51.100.7")
            == .verified(subject: fixture.subject), "the owner's phone still gets and answers its challenge")
        let held = try await fixture.database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device_challenge WHERE device_id = 'phone' AND used = 0")
        }
        #expect(held == DeviceKeyRegistry.outstandingChallengesPerDeviceMax - 1, "the oldest gave way; the owner's was answered")
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
