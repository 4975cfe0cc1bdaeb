import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

private struct LoginFixture {
    let environment: IdentityTestEnvironment
    let credentials: SQLiteCredentialStore

    var clock: ManualClock { environment.clock }
    var database: DatabasePool { environment.database }
    var registry: CitizenRegistry { environment.registry }
    var subject: String { environment.subject }

    static func make() async throws -> LoginFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "G1612348Q", name: "Ana Cruz", dateOfBirth: "1990-09-09", sex: .female, nationality: "PHILIPPINE",
                address: try RegisteredAddress(block: "8", street: "Marina Boulevard", postalCode: "018981")))
        return LoginFixture(environment: environment, credentials: SQLiteCredentialStore(database: environment.database, sealer: .random()))
    }

    func login(rounds: Int = 1_000, throttle: LoginThrottle = LoginThrottle()) throws -> PasswordLogin {
        let clock = clock
        return try PasswordLogin(
            citizens: registry, credentials: credentials, hasher: PasswordHasher(unsafeTestingRounds: rounds), throttle: throttle,
            clock: { clock.now })
    }

    func auditReasons() async throws -> [String] {
        try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM outbox_event ORDER BY sequence").map { envelope in
                let event = try CloudEventCoding.decode(Array(envelope))
                switch event.type {
                case LoginSucceeded.eventType: return "succeeded"
                case LoginFailed.eventType: return try event.decodeData(as: LoginFailed.self).reason
                default: return "other"
                }
            }.filter { $0 != "other" }
        }
    }

    func remove() {
        environment.remove()
    }
}

@Suite("Password and TOTP login")
struct PasswordLoginTests {
    static let password = "kopi-peng-at-7am"

    @Test("the right password logs in; wrong ones and unknown identifiers look the same; every attempt is audited")
    func passwordOnly() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        #expect(try await login.login(identifier: "g1612348q", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        #expect(try await login.login(identifier: "G1612348Q", password: "wrong", oneTimeCode: nil, clientAddress: "10.0.0.1") == .wrongCredentials)
        #expect(try await login.login(identifier: "S1234567D", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1") == .wrongCredentials)
        #expect(try await login.login(identifier: "not-an-nric", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1") == .wrongCredentials)
        #expect(try await fixture.auditReasons() == ["succeeded", "wrong_credentials", "wrong_credentials", "wrong_credentials"])
    }

    @Test("the policy refuses weak passwords and passwords holding the NRIC")
    func policy() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        for weak in ["short", "password1234", "my-G1612348Q-pass"] {
            await #expect(throws: SmartNationError(.identityPasswordRejected)) { try await login.setPassword(weak, for: fixture.subject) }
        }
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash == nil)
    }

    @Test("failures lock the account out with a growing lockout, even against the right password")
    func lockout() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login(throttle: LoginThrottle(configuration: .init(freeFailures: 3, initialLockout: 30, maximumLockout: 300)))
        try await login.setPassword(Self.password, for: fixture.subject)
        for attempt in 0..<3 {
            #expect(try await login.login(identifier: "G1612348Q", password: "guess\(attempt)", oneTimeCode: nil, clientAddress: "203.0.113.\(attempt)") == .wrongCredentials)
        }
        #expect(try await login.login(identifier: "G1612348Q", password: "guess3", oneTimeCode: nil, clientAddress: "203.0.113.9") == .wrongCredentials)
        let locked = try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.10")
        #expect(locked == .lockedOut(until: fixture.clock.now.addingTimeInterval(30)))
        fixture.clock.advance(by: 31)
        #expect(try await login.login(identifier: "G1612348Q", password: "guess4", oneTimeCode: nil, clientAddress: "203.0.113.11") == .wrongCredentials)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.12")
            == .lockedOut(until: fixture.clock.now.addingTimeInterval(60)), "the second lockout is twice as long")
        fixture.clock.advance(by: 61)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.13")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        #expect(try await fixture.auditReasons().contains("locked_out"))
    }

    @Test("with TOTP enrolled the code is required, accepted once, and refused when replayed or wrong")
    func secondFactor() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        let uri = try await login.enrolTOTP(for: fixture.subject)
        #expect(uri.hasPrefix("otpauth://totp/Smart%20Nation:"))
        #expect(!uri.contains("G1612348Q"), "the account label is masked")
        let secret = try TOTPSecret(base32: try #require(try await fixture.credentials.credentials(subject: fixture.subject).totpSecret))
        let code = TOTPGenerator(secret: secret).code(at: fixture.clock.now)

        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a") == .secondFactorRequired)
        let wrongCode = code == "000000" ? "111111" : "000000"
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: wrongCode, clientAddress: "a") == .wrongCredentials)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: code, clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: code, clientAddress: "a") == .wrongCredentials)
        #expect(try await fixture.auditReasons() == ["wrong_second_factor", "succeeded", "replayed_second_factor"])
    }

    @Test("a recovery code stands in for a TOTP code once; a new set replaces the old")
    func recoveryCodes() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        _ = try await login.enrolTOTP(for: fixture.subject)
        let codes = try await login.issueRecoveryCodes(for: fixture.subject)
        #expect(codes.count == RecoveryCodes.countDefault)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0].lowercased(), clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0], clientAddress: "a") == .wrongCredentials)
        let replacement = try await login.issueRecoveryCodes(for: fixture.subject)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[1], clientAddress: "a") == .wrongCredentials)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: replacement[1], clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        let stored = try await fixture.database.read { db in try String.fetchAll(db, sql: "SELECT code_hash FROM recovery_code") }
        #expect(stored.count == RecoveryCodes.countDefault - 1)
        #expect(!stored.contains(replacement[2]), "codes are stored only hashed")
    }

    @Test("a password stored at an older cost is rehashed at the new cost on login")
    func rehash() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        try await fixture.login(rounds: 1_000).setPassword(Self.password, for: fixture.subject)
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash?.hasPrefix("pbkdf2-sha256$1000$") == true)
        #expect(try await fixture.login(rounds: 2_000).login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash?.hasPrefix("pbkdf2-sha256$2000$") == true)
    }

    @Test("a closed account cannot log in")
    func closed() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        _ = try await fixture.registry.close(subject: fixture.subject, reason: "left Singapore")
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a") == .accountClosed)
    }
}

@Suite("Login throttle")
struct LoginThrottleTests {
    @Test("the table of tracked keys stays bounded")
    func bounded() {
        let throttle = LoginThrottle(configuration: .init(trackedKeysMax: 100))
        let now = Date()
        for index in 0..<1000 { throttle.recordFailure([.clientAddress("198.51.100.\(index)")], now: now.addingTimeInterval(Double(index))) }
        #expect(throttle.trackedKeyCount <= 100)
        #expect(throttle.trackedKeyCount >= 90)
        #expect(throttle.lockedUntil([.clientAddress("198.51.100.999")], now: now.addingTimeInterval(999)) == nil, "one failure locks nothing")
    }
}
