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

    func login(rounds: Int = 1_000, throttle: LoginThrottle.Configuration = .init()) throws -> PasswordLogin {
        let clock = clock
        return try PasswordLogin(
            citizens: registry, credentials: credentials,
            throttle: LoginThrottle(store: SQLiteLoginThrottleStore(database: database), configuration: throttle),
            hasher: PasswordHasher(unsafeTestingRounds: rounds), clock: { clock.now })
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

    /// The authenticator app's side of an enrolment: the generator for the `otpauth://` URI's secret.
    func authenticator(of uri: String) throws -> TOTPGenerator {
        let secret = try #require(URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value)
        return TOTPGenerator(secret: try TOTPSecret(base32: secret))
    }

    /// A login for the fixture's citizen with `password` set, a confirmed TOTP secret and a set of
    /// recovery codes, returned with it.
    func loginWithRecoveryCodes(password: String) async throws -> (PasswordLogin, [String]) {
        let login = try login()
        try await login.setPassword(password, for: subject)
        _ = try await enrolConfirmedTOTP(login)
        return (login, try await login.issueRecoveryCodes(for: subject))
    }

    /// Enrols and confirms a TOTP secret for the fixture's citizen, as the citizen app does.
    func enrolConfirmedTOTP(_ login: PasswordLogin) async throws -> TOTPGenerator {
        let authenticator = try authenticator(of: try await login.enrolTOTP(for: subject))
        try await login.confirmTOTP(authenticator.code(at: clock.now.addingTimeInterval(-30)), for: subject)
        return authenticator
    }

    func remove() {
        environment.remove()
    }
}

@Suite("Password and TOTP login")
struct PasswordLoginTests {
    static let password = "kopi-peng-at-7am"

    @Test("the right password logs in; wrong ones and unknown identifiers look the same; malformed NRICs are told apart; every attempt is audited")
    func passwordOnly() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        #expect(try await login.login(identifier: "g1612348q", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        #expect(try await login.login(identifier: "G1612348Q", password: "wrong", oneTimeCode: nil, clientAddress: "10.0.0.1") == .wrongCredentials)
        #expect(try await login.login(identifier: "S1234567D", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1") == .wrongCredentials)
        #expect(try await login.login(identifier: "not-an-nric", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1")
            == .malformedIdentifier(.identityNRICMalformed))
        #expect(try await login.login(identifier: "G1612348A", password: Self.password, oneTimeCode: nil, clientAddress: "10.0.0.1")
            == .malformedIdentifier(.identityNRICChecksum))
        #expect(try await fixture.auditReasons()
            == ["succeeded", "wrong_credentials", "wrong_credentials", "malformed_identifier", "identifier_checksum"])
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
        let login = try fixture.login(throttle: .init(freeFailures: 3, initialLockout: 30, maximumLockout: 300))
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
        let authenticator = try fixture.authenticator(of: uri)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]), "a pending enrolment takes no part in logins")
        try await login.confirmTOTP(authenticator.code(at: fixture.clock.now.addingTimeInterval(-30)), for: fixture.subject)
        let code = authenticator.code(at: fixture.clock.now)

        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a") == .secondFactorRequired)
        let wrongCode = code == "000000" ? "111111" : "000000"
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: wrongCode, clientAddress: "a") == .wrongSecondFactor)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: code, clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: code, clientAddress: "a") == .secondFactorReplayed)
        #expect(LoginOutcome.secondFactorReplayed.refusal?.code == .identityLoginSecondFactorReplayed)
        #expect(LoginOutcome.wrongSecondFactor.refusal?.code == .identityLoginSecondFactorWrong)
        #expect(try await fixture.auditReasons()
            == ["succeeded", "second_factor_required", "wrong_second_factor", "succeeded", "replayed_second_factor"])
    }

    @Test("a TOTP enrolment takes effect only once confirmed with a code from it, in time; until then the earlier secret stays in force")
    func totpConfirmation() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        let first = try fixture.authenticator(of: try await login.enrolTOTP(for: fixture.subject))
        try await login.confirmTOTP(first.code(at: fixture.clock.now), for: fixture.subject)
        await #expect(throws: SmartNationError(.identityTOTPNotPending)) {
            try await login.confirmTOTP(first.code(at: fixture.clock.now), for: fixture.subject)
        }

        fixture.clock.advance(by: 60)
        let second = try fixture.authenticator(of: try await login.enrolTOTP(for: fixture.subject))
        let wrong = second.code(at: fixture.clock.now) == "000000" ? "111111" : "000000"
        await #expect(throws: SmartNationError(.identityTOTPCodeWrong)) { try await login.confirmTOTP(wrong, for: fixture.subject) }
        await #expect(throws: SmartNationError(.identityTOTPCodeWrong)) {
            try await login.confirmTOTP(first.code(at: fixture.clock.now), for: fixture.subject)
        }
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: first.code(at: fixture.clock.now), clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]), "the earlier secret stays in force while the new one waits")

        fixture.clock.advance(by: PasswordLogin.totpConfirmationWindow + 1)
        await #expect(throws: SmartNationError(.identityTOTPNotPending)) {
            try await login.confirmTOTP(second.code(at: fixture.clock.now), for: fixture.subject)
        }
        let third = try fixture.authenticator(of: try await login.enrolTOTP(for: fixture.subject))
        try await login.confirmTOTP(third.code(at: fixture.clock.now), for: fixture.subject)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: third.code(at: fixture.clock.now), clientAddress: "a")
            == .secondFactorReplayed, "the confirming code is spent")
        fixture.clock.advance(by: 30)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: first.code(at: fixture.clock.now), clientAddress: "a")
            == .wrongSecondFactor, "the confirmed secret replaced the earlier one")
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: third.code(at: fixture.clock.now), clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        let rejected = try await fixture.database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM outbox_event ORDER BY sequence").map { try CloudEventCoding.decode(Array($0)) }
        }.filter { $0.type == TOTPConfirmationRejected.eventType }.map { try $0.decodeData(as: TOTPConfirmationRejected.self).code }
        #expect(rejected == [SmartNationError.Code.identityTOTPNotPending, .identityTOTPCodeWrong, .identityTOTPCodeWrong, .identityTOTPNotPending]
            .map(\.rawValue), "every refusal is audited")
    }

    @Test("a recovery code stands in for a TOTP code once; a new set replaces the old")
    func recoveryCodes() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let (login, codes) = try await fixture.loginWithRecoveryCodes(password: Self.password)
        #expect(codes.count == RecoveryCodes.countDefault)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0].lowercased(), clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0], clientAddress: "a") == .wrongSecondFactor)
        let replacement = try await login.issueRecoveryCodes(for: fixture.subject)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[1], clientAddress: "a") == .wrongSecondFactor)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: replacement[1], clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]))
        let stored = try await fixture.database.read { db in try String.fetchAll(db, sql: "SELECT code_hash FROM recovery_code") }
        #expect(stored.count == RecoveryCodes.countDefault - 1)
        #expect(!stored.contains(replacement[2]), "codes are stored only hashed")
    }

    @Test("a business login refused by its entity check spends no second factor, counts no failure and is audited as failed alone")
    func entityRefusedBeforeSecondFactor() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let (login, codes) = try await fixture.loginWithRecoveryCodes(password: Self.password)
        let refusals: [SmartNationError] = [
            SmartNationError(.identityUENMalformed), SmartNationError(.identityBusinessNotFound, httpStatus: 404),
            SmartNationError(.identityBusinessNotRepresentative, httpStatus: 403),
        ]
        for refusal in refusals {
            let outcome = try await login.login(
                identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0], clientAddress: "a",
                entityCheck: { _ throws(SmartNationError) in throw refusal })
            #expect(outcome == .entityRefused(refusal))
            #expect(outcome.refusal?.code == refusal.code)
        }
        let neverRuns: @Sendable (String) async throws(SmartNationError) -> Void = { _ throws(SmartNationError) in
            Issue.record("the check runs only once the password and the second factor are right")
        }
        let wrongPassword = try await login.login(
            identifier: "G1612348Q", password: "not-it", oneTimeCode: codes[0], clientAddress: "a", entityCheck: neverRuns)
        #expect(wrongPassword == .wrongCredentials)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a", entityCheck: neverRuns)
            == .secondFactorRequired, "whoever lacks the second factor learns nothing of the citizen's businesses")
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: "ZZZZ-ZZZZ-ZZZZ", clientAddress: "a",
                                      entityCheck: neverRuns) == .wrongSecondFactor)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: codes[0], clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd", "otp"]), "the recovery code was not spent by the refused logins")
        #expect(try await fixture.auditReasons()
            == ["entity_invalid", "entity_invalid", "not_representative", "wrong_credentials", "second_factor_required", "wrong_second_factor",
                "succeeded"])
    }

    @Test("a proof of presence checks the password and the code as a login does, audited with purpose step_up")
    func confirmPresence() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        try await login.confirmPresence(of: fixture.subject, password: Self.password, oneTimeCode: nil, clientAddress: "a")
        let authenticator = try await fixture.enrolConfirmedTOTP(login)
        await #expect(throws: SmartNationError(.identityLoginSecondFactorRequired)) {
            try await login.confirmPresence(of: fixture.subject, password: Self.password, oneTimeCode: nil, clientAddress: "a")
        }
        await #expect(throws: SmartNationError(.identityLoginWrongCredentials)) {
            try await login.confirmPresence(of: fixture.subject, password: "not-it", oneTimeCode: authenticator.code(at: fixture.clock.now), clientAddress: "a")
        }
        try await login.confirmPresence(of: fixture.subject, password: Self.password, oneTimeCode: authenticator.code(at: fixture.clock.now), clientAddress: "a")
        let purposes = try await fixture.database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM outbox_event ORDER BY sequence").map { try CloudEventCoding.decode(Array($0)) }
        }.compactMap { event -> String?? in
            switch event.type {
            case LoginSucceeded.eventType: return .some(try event.decodeData(as: LoginSucceeded.self).purpose)
            case LoginFailed.eventType: return .some(try event.decodeData(as: LoginFailed.self).purpose)
            default: return nil
            }
        }
        #expect(purposes == Array(repeating: PasswordLogin.stepUpPurpose, count: 4), "no login is recorded for them")
    }

    @Test("a password stored at an older cost is rehashed at the new cost on login")
    func rehash() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        try await fixture.login(rounds: 1_000).setPassword(Self.password, for: fixture.subject)
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash?.hasPrefix("pbkdf2-sha256$1000$") == true)
        #expect(try await fixture.login(rounds: 2_000).login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        let rehashed = try #require(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash)
        #expect(rehashed.hasPrefix("pbkdf2-sha256$2000$"))
        #expect(try await fixture.credentials.replacePasswordHash("pbkdf2-sha256$1000$stale", with: "pbkdf2-sha256$3000$other", subject: fixture.subject)
            == false, "a rehash of a hash no longer stored (the password changed meanwhile) writes nothing")
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash == rehashed)
    }

    @Test("with TOTP enrolled, a password stored at an older cost is rehashed only once the second factor passes")
    func rehashAfterSecondFactor() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        try await fixture.login(rounds: 1_000).setPassword(Self.password, for: fixture.subject)
        _ = try await fixture.enrolConfirmedTOTP(try fixture.login(rounds: 1_000))
        let login = try fixture.login(rounds: 2_000)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a") == .secondFactorRequired)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: "000000", clientAddress: "a") == .wrongSecondFactor)
        #expect(try await fixture.credentials.credentials(subject: fixture.subject).passwordHash?.hasPrefix("pbkdf2-sha256$1000$") == true,
                "a login that did not pass every factor leaves the stored hash as it was")
    }

    @Test("failures from one address lock it out for every account, and a success takes its own attempt back")
    func addressLockout() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login(throttle: .init(freeFailures: 2))
        try await login.setPassword(Self.password, for: fixture.subject)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.9")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        for nric in ["S1234567D", "S9812381D", "T0123456G"] {
            #expect(try await login.login(identifier: nric, password: "wrong password", oneTimeCode: nil, clientAddress: "203.0.113.9") == .wrongCredentials)
        }
        guard case .lockedOut = try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.9") else {
            Issue.record("the address is locked out after its free failures, even for another account with the right password")
            return
        }
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "203.0.113.10")
            == .succeeded(subject: fixture.subject, methods: ["pwd"]), "another address is not")
    }

    @Test("an IPv6 client is counted by its /64 network, and an IPv4-mapped address as its IPv4 address")
    func addressKeys() {
        func key(_ address: String) -> String { LoginThrottle.Key.clientAddress(address).storageKey }
        #expect(key("2001:db8:1:2:aaaa::1") == "address:2001:db8:1:2::/64")
        #expect(key("2001:db8:1:2:aaaa::1") == key("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff"))
        #expect(key("2001:db8:1:2::1") != key("2001:db8:1:3::1"))
        #expect(key("::ffff:203.0.113.9") == key("203.0.113.9"))
        #expect(key("203.0.113.9") == "address:203.0.113.9")
        #expect(key("unknown") == "address:unknown")
        #expect(LoginThrottle.Key.account("2001:db8::1").storageKey == "account:2001:db8::1")
    }

    @Test("an address's old failures are forgotten on time even while logins from it keep succeeding")
    func addressFailuresForgottenDespiteSuccesses() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login(throttle: .init(freeFailures: 2, initialLockout: 30, maximumLockout: 60, forgetAfter: 3600))
        try await login.setPassword(Self.password, for: fixture.subject)
        let office = "203.0.113.9"
        for nric in ["S1234567D", "S9812381D"] {
            #expect(try await login.login(identifier: nric, password: "typo", oneTimeCode: nil, clientAddress: office) == .wrongCredentials)
        }
        for _ in 0..<3 {
            fixture.clock.advance(by: 1200)
            #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: office)
                == .succeeded(subject: fixture.subject, methods: ["pwd"]))
        }
        fixture.clock.advance(by: LoginThrottle.inFlightMargin + 1)
        #expect(try await login.login(identifier: "T0123456G", password: "typo", oneTimeCode: nil, clientAddress: office) == .wrongCredentials)
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: office)
            == .succeeded(subject: fixture.subject, methods: ["pwd"]),
                "the two typos an hour ago are forgotten: this third one is the address's first, so nobody there is locked out")
    }

    @Test("a closed account cannot log in, and only whoever knows its password is told it is closed")
    func closed() async throws {
        let fixture = try await LoginFixture.make()
        defer { fixture.remove() }
        let login = try fixture.login()
        try await login.setPassword(Self.password, for: fixture.subject)
        _ = try await fixture.registry.close(subject: fixture.subject, reason: "left Singapore")
        #expect(try await login.login(identifier: "G1612348Q", password: "a guess", oneTimeCode: nil, clientAddress: "a") == .wrongCredentials,
                "a wrong password is told only that, as for an identifier with no account")
        #expect(try await login.login(identifier: "G1612348Q", password: Self.password, oneTimeCode: nil, clientAddress: "a") == .accountClosed)
        #expect(try await fixture.auditReasons().filter { $0 != "other" } == ["wrong_credentials", "account_closed"])
    }
}

@Suite("Login throttle, counting in identity.sqlite")
struct LoginThrottleTests {
    /// A throttle over a fresh identity database, and the database.
    static func make(_ configuration: LoginThrottle.Configuration) async throws -> (LoginThrottle, IdentityTestEnvironment) {
        let environment = try await LoginFixture.make().environment
        return (LoginThrottle(store: SQLiteLoginThrottleStore(database: environment.database), configuration: configuration), environment)
    }

    @Test("attempts in flight count at once: concurrent guesses get no more than the free failures and one more")
    func concurrentAttempts() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 5, initialLockout: 30))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let keys: [LoginThrottle.Key] = [.account("S1234567D"), .clientAddress("198.51.100.1")]
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await throttle.admit(keys, now: now) == nil } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 6)
        #expect(try await throttle.admit(keys, now: now) == now.addingTimeInterval(30))
        #expect(try await throttle.admit(keys, now: now.addingTimeInterval(31)) == nil, "the lockout ends")
    }

    @Test("a lockout outlives the throttle: another throttle over the same database, as after a restart, refuses too")
    func lockoutSurvivesRestart() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 1, initialLockout: 60))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let keys: [LoginThrottle.Key] = [.account("S1234567D"), .clientAddress("198.51.100.7")]
        #expect(try await throttle.admit(keys, now: now) == nil)
        #expect(try await throttle.admit(keys, now: now) == nil)
        let restarted = LoginThrottle(store: SQLiteLoginThrottleStore(database: environment.database), configuration: throttle.configuration)
        #expect(try await restarted.admit(keys, now: now.addingTimeInterval(10)) == now.addingTimeInterval(60))
        #expect(try await restarted.admit([.account("S1234567D")], now: now.addingTimeInterval(10)) == now.addingTimeInterval(60))
    }

    @Test("a success clears the account and takes its attempt back from the address; a refund takes it back from both")
    func settling() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 1, initialLockout: 30))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let address = LoginThrottle.Key.clientAddress("198.51.100.2")
        #expect(try await throttle.admit([.account("a"), address], now: now) == nil)
        try await throttle.refund([.account("a"), address])
        #expect(try await throttle.trackedKeyCount() == 0)
        #expect(try await throttle.admit([.account("b"), address], now: now) == nil)
        #expect(try await throttle.admit([.account("b"), address], now: now) == nil)
        try await throttle.recordSuccess([.account("b"), address])
        #expect(try await throttle.admit([.account("c"), address], now: now) == nil, "the address keeps one failure, under the lockout")
        #expect(try await throttle.admit([.account("c"), address], now: now) != nil, "and the next failure past the free one locks it")
    }

    @Test("settling an attempt whose outcome is known: a failure counts, a success clears the account and stores nothing new, a lockout refuses both")
    func settlingKnownOutcomes() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 1, initialLockout: 30))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let keys: [LoginThrottle.Key] = [.account("device:phone"), .clientAddress("198.51.100.3")]
        #expect(try await throttle.settle(keys, now: now, succeeded: true) == nil)
        #expect(try await throttle.trackedKeyCount() == 0)
        #expect(try await throttle.settle(keys, now: now, succeeded: false) == nil)
        #expect(try await throttle.settle(keys, now: now, succeeded: false) == nil, "past the free failure: counted, and the lockout set")
        #expect(try await throttle.settle(keys, now: now.addingTimeInterval(1), succeeded: true) == now.addingTimeInterval(30))
        #expect(try await throttle.settle(keys, now: now.addingTimeInterval(31), succeeded: true) == nil)
        #expect(try await throttle.trackedKeyCount() == 1, "the success cleared the device; the address keeps its two failures")
        #expect(try await throttle.settle([.clientAddress("198.51.100.3")], now: now.addingTimeInterval(32), succeeded: false) == nil,
                "and the success added none: the next failure is the third, admitted and locking again")
        #expect(try await throttle.settle([.clientAddress("198.51.100.3")], now: now.addingTimeInterval(33), succeeded: false) == now.addingTimeInterval(92))
    }

    @Test("failures are forgotten a day after the last one, and the prune deletes forgotten keys")
    func forgetting() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 1, initialLockout: 30))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let account = LoginThrottle.Key.account("S1234567D")
        #expect(try await throttle.admit([account], now: now) == nil)
        #expect(try await throttle.admit([account, .clientAddress("a")], now: now.addingTimeInterval(24 * 3600 + 1)) == nil,
                "a day later the old failure is forgotten, so this is the first again")
        #expect(try await throttle.admit([account], now: now.addingTimeInterval(24 * 3600 + 2)) == nil, "the second, past the free one, sets the lockout")
        #expect(try await throttle.admit([account], now: now.addingTimeInterval(24 * 3600 + 3)) != nil)
        try await throttle.prune(now: now.addingTimeInterval(24 * 3600 + 4))
        #expect(try await throttle.trackedKeyCount() == 2)
        try await throttle.prune(now: now.addingTimeInterval(3 * 24 * 3600))
        #expect(try await throttle.trackedKeyCount() == 0)
    }

    @Test("a flood of new keys keeps the table near its bound between prunes, and never evicts a lockout in force, however old")
    func boundedWithoutEvictingLockouts() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 1, initialLockout: 600, trackedKeysMax: 100))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let account = LoginThrottle.Key.account("S1234567D")
        _ = try await throttle.admit([account], now: now)
        _ = try await throttle.admit([account], now: now)
        for index in 0..<300 {
            _ = try await throttle.admit([.clientAddress("2001:db8:\(String(index, radix: 16))::1")], now: now.addingTimeInterval(1 + Double(index) / 10))
        }
        #expect(try await throttle.trackedKeyCount() <= 110, "pruned as it grew, not only at the hourly prune")
        #expect(try await throttle.admit([account], now: now.addingTimeInterval(40)) == now.addingTimeInterval(600),
                "the oldest key, but locked out: kept")
        try await throttle.prune(now: now.addingTimeInterval(60))
        #expect(try await throttle.trackedKeyCount() == 100)
        #expect(try await throttle.admit([account], now: now.addingTimeInterval(61)) == now.addingTimeInterval(600))
    }

    @Test("a refund takes back the lockout its attempt set: a citizen past the free failures who sends the password, then the code, gets in")
    func refundLiftsItsLockout() async throws {
        let (throttle, environment) = try await Self.make(.init(freeFailures: 2, initialLockout: 30))
        defer { environment.remove() }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let keys: [LoginThrottle.Key] = [.account("S1234567D"), .clientAddress("198.51.100.4")]
        for _ in 0..<3 { _ = try await throttle.admit(keys, now: now) }
        let later = now.addingTimeInterval(31)
        #expect(try await throttle.admit(keys, now: later) == nil, "the password alone: admitted, and it sets a new lockout")
        try await throttle.refund(keys)
        #expect(try await throttle.admit(keys, now: later.addingTimeInterval(1)) == nil, "the password with the code is admitted")
        try await throttle.recordSuccess(keys)
    }

}
