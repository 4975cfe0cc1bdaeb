import Foundation
import SmartNationCore

/// How a login attempt ended. Failures are ordinary outcomes, not errors.
public enum LoginOutcome: Sendable, Hashable {
    /// The citizen is authenticated with these methods (`pwd`, `otp`).
    case succeeded(subject: String, methods: [String])
    /// The password is right and a second factor is enrolled: ask for the one-time code.
    case secondFactorRequired
    /// The identifier or password is wrong. Deliberately one outcome, so that an attacker cannot
    /// tell a registered identifier from an unregistered one.
    case wrongCredentials
    /// The password is right but the one-time code is neither the current TOTP code (±1 step) nor
    /// an unused recovery code. Told apart from ``wrongCredentials``: only whoever knows the password
    /// gets this far, and ``secondFactorRequired`` already tells them the password is right.
    case wrongSecondFactor
    /// The password is right and the TOTP code is right but was used before (in this time step or
    /// a later one): wait for the next code.
    case secondFactorReplayed
    /// The account or the client address is locked out until this time.
    case lockedOut(until: Date)
    /// The account is closed. Told only to whoever knows its password.
    case accountClosed
    /// The password is right but the citizen may not log in for the business they named: its UEN
    /// is malformed (`identity.uen.malformed`), no business has it (`identity.business.not_found`),
    /// or they do not represent it (`identity.business.not_representative`). Checked once the second
    /// factor is right and before it is spent: it stays unspent.
    case entityRefused(SmartNationError)
    /// The identifier is not an NRIC or FIN at all (`identity.nric.malformed`) or its check letter
    /// is wrong (`identity.nric.checksum`): a typing mistake, told apart since the rules are public
    /// and say nothing of who is registered.
    case malformedIdentifier(SmartNationError.Code)
}

/// The password (+ TOTP) login: checks credentials, applies the throttle, rehashes passwords whose
/// cost changed, and writes every success and failure to the audit trail (via the outbox).
public struct PasswordLogin: Sendable {
    private let citizens: CitizenRegistry
    private let credentials: any CredentialStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: LoginThrottle
    private let clock: @Sendable () -> Date
    /// Verified against when the identifier is unknown, so that both paths cost one hash.
    private let decoyHash: String

    /// Creates the login over the platform's stores.
    public init(
        citizens: CitizenRegistry,
        credentials: any CredentialStore,
        throttle: LoginThrottle,
        hasher: PasswordHasher = PasswordHasher(),
        policy: PasswordPolicy = PasswordPolicy(),
        clock: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.citizens = citizens
        self.credentials = credentials
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.clock = clock
        decoyHash = try hasher.hash(UUID().uuidString)
    }

    /// Sets a citizen's password after checking it against the policy (it may not contain the NRIC).
    public func setPassword(_ password: String, for subject: String) async throws(SmartNationError) {
        guard let citizen = try await citizens.citizen(subject: subject) else {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        }
        do {
            try policy.validate(password, identifier: citizen.nric.value)
            try await credentials.setPasswordHash(try hasher.hash(password), subject: subject)
        } catch let error as SmartNationError {
            throw error
        } catch {
            throw SmartNationError(.identityPasswordRejected, parameters: ["reasons": "\(error)"])
        }
    }

    /// The `purpose` of the audit events of ``confirmPresence(of:password:oneTimeCode:clientAddress:)``.
    public static let stepUpPurpose = "step_up"

    /// How long an enrolled TOTP secret waits for its confirming code.
    public static let totpConfirmationWindow: TimeInterval = 600

    /// Enrols a new TOTP secret, pending until the citizen confirms it with a code from their
    /// authenticator app (``confirmTOTP(_:for:)``) within ``totpConfirmationWindow``; returns the
    /// `otpauth://` URI for the app. Until then any earlier secret stays in force, so a QR code
    /// scanned wrong locks nobody out.
    public func enrolTOTP(for subject: String, issuer: String = "Smart Nation") async throws(SmartNationError) -> String {
        guard let citizen = try await citizens.citizen(subject: subject) else {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        }
        let secret = TOTPSecret.generate()
        try await credentials.setPendingTOTPSecret(
            secret.base32, expiresAt: clock().addingTimeInterval(Self.totpConfirmationWindow), subject: subject)
        return TOTPGenerator(secret: secret).provisioningURI(account: citizen.nric.masked, issuer: issuer)
    }

    /// Puts the citizen's pending TOTP secret in force once `code` comes from it (±1 step); the
    /// code's step counts as used. A refusal is audited as ``TOTPConfirmationRejected``.
    ///
    /// - Throws: ``SmartNationError/Code/identityTOTPNotPending`` (404) when no enrolment waits or it
    ///   expired, ``SmartNationError/Code/identityTOTPCodeWrong`` when the code is not the secret's.
    public func confirmTOTP(_ code: String, for subject: String) async throws(SmartNationError) {
        let now = clock()
        let refusal: SmartNationError
        if let pending = try await credentials.credentials(subject: subject).pendingTOTP, pending.expiresAt > now {
            let secret = try Self.storedSecret(pending.secret)
            if case .accepted(let step) = TOTPGenerator(secret: secret).verify(code, at: now, lastUsedStep: nil) {
                if try await credentials.activatePendingTOTPSecret(pending.secret, step: step, now: now, subject: subject) { return }
                refusal = SmartNationError(.identityTOTPNotPending, httpStatus: 404)
            } else {
                refusal = SmartNationError(.identityTOTPCodeWrong, parameters: ["expected": "the current code of the enrolled authenticator"])
            }
        } else {
            refusal = SmartNationError(.identityTOTPNotPending, httpStatus: 404)
        }
        try await credentials.recordAudit(try CloudEvent(
            TOTPConfirmationRejected(subject: subject, code: refusal.code.rawValue), source: identityEventSource, subject: subject, time: now))
        throw refusal
    }

    /// Issues a fresh set of one-time recovery codes, replacing any earlier set; shown to the citizen
    /// once, stored only hashed. Each works once in place of a TOTP code.
    public func issueRecoveryCodes(for subject: String) async throws(SmartNationError) -> [String] {
        let (codes, hashes) = RecoveryCodes.generate()
        try await credentials.replaceRecoveryCodeHashes(hashes, subject: subject)
        return codes
    }

    /// Checks that the citizen `subject` is at the keyboard before their second factor changes: their
    /// password and, when a second factor is enrolled, a current one-time code (TOTP or recovery
    /// code), exactly as a login checks them — throttled, the code spent, audited as
    /// `login.succeeded` / `login.failed` with purpose ``stepUpPurpose`` (no session opens). A session alone
    /// is not enough: whoever holds a stolen session token would otherwise enrol their own
    /// authenticator and own the account.
    ///
    /// - Throws: the login's refusal (`identity.login.wrong_credentials`,
    ///   `identity.login.second_factor_required`, `identity.login.locked_out` …).
    public func confirmPresence(
        of subject: String, password: String, oneTimeCode: String?, clientAddress: String
    ) async throws(SmartNationError) {
        guard let citizen = try await citizens.citizen(subject: subject) else {
            throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
        }
        let outcome = try await attempt(
            identifier: citizen.nric.value, password: password, oneTimeCode: oneTimeCode, clientAddress: clientAddress, entityCheck: nil,
            purpose: Self.stepUpPurpose)
        guard case .succeeded = outcome else {
            throw outcome.refusal ?? SmartNationError(.identityLoginWrongCredentials, httpStatus: 401)
        }
    }

    /// Attempts a login with an NRIC/FIN, a password and, when enrolled, a one-time code: a TOTP code
    /// or one of the citizen's recovery codes.
    ///
    /// A login for a business passes `entityCheck`, which throws when the citizen (by subject) may
    /// not act for it; it runs once the password and the second factor are right — so it tells
    /// nothing to whoever lacks the second factor — and before the factor is spent, so a refused
    /// business login spends no TOTP step or recovery code, counts no failure and records
    /// `login.failed` alone.
    public func login(
        identifier: String,
        password: String,
        oneTimeCode: String?,
        clientAddress: String,
        entityCheck: (@Sendable (String) async throws(SmartNationError) -> Void)? = nil
    ) async throws(SmartNationError) -> LoginOutcome {
        try await attempt(
            identifier: identifier, password: password, oneTimeCode: oneTimeCode, clientAddress: clientAddress, entityCheck: entityCheck,
            purpose: nil)
    }

    /// A second factor presented and checked, spent only once every other check has passed.
    private enum PresentedSecondFactor {
        case totpStep(Int64)
        case recoveryCode(hash: String)
    }

    /// ``login(identifier:password:oneTimeCode:clientAddress:entityCheck:)``, its audit events
    /// carrying `purpose` (`nil` for a login, ``stepUpPurpose`` for a proof of presence).
    private func attempt(
        identifier: String, password: String, oneTimeCode: String?, clientAddress: String,
        entityCheck: (@Sendable (String) async throws(SmartNationError) -> Void)?, purpose: String?
    ) async throws(SmartNationError) -> LoginOutcome {
        let now = clock()
        let normalised = identifier.trimmingCharacters(in: .whitespaces).uppercased()
        let keys: [LoginThrottle.Key] = [.account(normalised), .clientAddress(clientAddress)]
        let outcome = try await decide(
            normalised: normalised, password: password, oneTimeCode: oneTimeCode, clientAddress: clientAddress, entityCheck: entityCheck,
            purpose: purpose, keys: keys, now: now)
        if outcome.isFailure { try await throttle.recordFailure(keys, now: now) }
        return outcome
    }

    /// ``attempt(identifier:password:oneTimeCode:clientAddress:entityCheck:purpose:)`` once its
    /// throttle keys are known: admits it, checks every factor, and settles the throttle for every
    /// outcome but a failure, which the caller dates.
    private func decide(
        normalised: String, password: String, oneTimeCode: String?, clientAddress: String,
        entityCheck: (@Sendable (String) async throws(SmartNationError) -> Void)?, purpose: String?, keys: [LoginThrottle.Key], now: Date
    ) async throws(SmartNationError) -> LoginOutcome {
        // Admitted attempts count as failures until they succeed or end undecided (a storage error
        // leaves the count standing: the throttle fails closed).
        if let until = try await throttle.admit(keys, now: now) {
            try await audit(failure: "locked_out", subject: nil, clientAddress: clientAddress, now: now, purpose: purpose)
            return .lockedOut(until: until)
        }
        let nric: NRIC
        do {
            nric = try NRIC(normalised)
        } catch {
            let reason = error.code == .identityNRICChecksum ? "identifier_checksum" : "malformed_identifier"
            try await audit(failure: reason, subject: nil, clientAddress: clientAddress, now: now, purpose: purpose)
            return .malformedIdentifier(error.code)
        }
        guard let citizen = try await citizens.citizen(nric: nric.value) else {
            _ = hasher.verify(password, against: decoyHash)
            try await audit(failure: "wrong_credentials", subject: nil, clientAddress: clientAddress, now: now, purpose: purpose)
            return .wrongCredentials
        }
        let stored = try await credentials.credentials(subject: citizen.subject)
        guard case .matches(let needsRehash) = hasher.verify(password, against: stored.passwordHash ?? decoyHash),
            stored.passwordHash != nil
        else {
            try await audit(failure: "wrong_credentials", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
            return .wrongCredentials
        }
        // After the password, so that a closed account is told only to whoever knows it: before, any
        // identifier could be tried for free (refunded, no hash) to learn whether it had an account.
        guard citizen.status == .active else {
            try await throttle.refund(keys)
            try await audit(failure: "account_closed", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
            return .accountClosed
        }
        var methods = ["pwd"]
        var presented: PresentedSecondFactor?
        if let secretText = stored.totpSecret {
            guard let oneTimeCode else {
                try await throttle.refund(keys)
                try await audit(failure: "second_factor_required", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
                return .secondFactorRequired
            }
            let verification = TOTPGenerator(secret: try Self.storedSecret(secretText))
                .verify(oneTimeCode, at: now, lastUsedStep: stored.totpLastStep)
            let recoveryCodeHash = RecoveryCodes.hash(oneTimeCode)
            if case .accepted(let step) = verification {
                presented = .totpStep(step)
            } else if try await credentials.hasRecoveryCode(hash: recoveryCodeHash, subject: citizen.subject) {
                presented = .recoveryCode(hash: recoveryCodeHash)
            } else if verification == .rejected {
                try await audit(failure: "wrong_second_factor", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
                return .wrongSecondFactor
            } else {
                try await audit(failure: "replayed_second_factor", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
                return .secondFactorReplayed
            }
            methods.append("otp")
        }
        if let entityCheck {
            do {
                try await entityCheck(citizen.subject)
            } catch where error.httpStatus < 500 {
                try await throttle.refund(keys)
                let reason = error.code == .identityBusinessNotRepresentative ? "not_representative" : "entity_invalid"
                try await audit(failure: reason, subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
                return .entityRefused(error)
            }
        }
        let spent = switch presented {
        case .totpStep(let step)?: try await credentials.claimTOTPStep(step, subject: citizen.subject)
        case .recoveryCode(let hash)?: try await credentials.consumeRecoveryCode(hash: hash, subject: citizen.subject)
        case nil: true
        }
        guard spent else {
            try await audit(failure: "replayed_second_factor", subject: citizen.subject, clientAddress: clientAddress, now: now, purpose: purpose)
            return .secondFactorReplayed
        }
        try await throttle.recordSuccess(keys)
        // Only a login that passed every factor rewrites the stored hash, and only the hash it
        // verified: a password changed meanwhile stays changed.
        if needsRehash, let verified = stored.passwordHash, let rehashed = try? hasher.hash(password) {
            _ = try await credentials.replacePasswordHash(verified, with: rehashed, subject: citizen.subject)
        }
        try await credentials.recordAudit(
            try CloudEvent(
                LoginSucceeded(subject: citizen.subject, methods: methods, clientAddress: clientAddress, purpose: purpose),
                source: identityEventSource, subject: citizen.subject, time: now))
        return .succeeded(subject: citizen.subject, methods: methods)
    }

    /// A TOTP secret as the credential store keeps it; one it cannot read is the server's fault.
    private static func storedSecret(_ base32: String) throws(SmartNationError) -> TOTPSecret {
        do {
            return try TOTPSecret(base32: base32)
        } catch {
            throw SmartNationError(.identityTOTPMalformed, parameters: ["field": "stored secret"], httpStatus: 500)
        }
    }

    private func audit(failure reason: String, subject: String?, clientAddress: String, now: Date, purpose: String?) async throws(SmartNationError) {
        try await credentials.recordAudit(
            try CloudEvent(
                LoginFailed(subject: subject, reason: reason, clientAddress: clientAddress, purpose: purpose),
                source: identityEventSource, subject: subject, time: now))
    }
}
