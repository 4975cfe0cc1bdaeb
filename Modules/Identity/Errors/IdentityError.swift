import Foundation
import SmartNationCore

/// The identity platform's error codes, in the shape every platform uses (``SmartNationError``).
///
/// Expected outcomes of a login (wrong password, replayed code) are values of their own, not these
/// errors; these are for input the platform refuses.
extension SmartNationError.Code {
    /// An NRIC or FIN is not a letter, seven digits and a letter.
    public static let identityNRICMalformed = Self("identity.nric.malformed")
    /// An NRIC or FIN's check letter does not match its digits.
    public static let identityNRICChecksum = Self("identity.nric.checksum")
    /// A UEN matches none of the three published formats.
    public static let identityUENMalformed = Self("identity.uen.malformed")
    /// A mobile number is not +65 followed by 8 digits beginning with 8 or 9.
    public static let identityMobileMalformed = Self("identity.mobile.malformed")
    /// An email address is not of the form local@domain.
    public static let identityEmailMalformed = Self("identity.email.malformed")
    /// A citizen's name is empty or too long.
    public static let identityNameInvalid = Self("identity.name.invalid")
    /// A date of birth is in the future or unreasonably far in the past.
    public static let identityBirthDateInvalid = Self("identity.birth_date.invalid")
    /// A citizen with this NRIC or FIN is already registered.
    public static let identityCitizenExists = Self("identity.citizen.exists")
    /// No citizen is registered under this identifier.
    public static let identityCitizenNotFound = Self("identity.citizen.not_found")
    /// The citizen's account is closed.
    public static let identityCitizenClosed = Self("identity.citizen.closed")
    /// A password breaks the password policy.
    public static let identityPasswordRejected = Self("identity.password.rejected")
    /// A TOTP secret or code is malformed.
    public static let identityTOTPMalformed = Self("identity.totp.malformed")
    /// No TOTP enrolment waits for confirmation, or it expired.
    public static let identityTOTPNotPending = Self("identity.totp.not_pending")
    /// The code confirming a TOTP enrolment is not the new secret's.
    public static let identityTOTPCodeWrong = Self("identity.totp.code_wrong")
}

extension SmartNationError.Code {
    /// A registered address is incomplete or its postal code is not 6 digits.
    public static let identityAddressInvalid = Self("identity.address.invalid")
}

extension SmartNationError.Code {
    /// A nationality is empty or too long.
    public static let identityNationalityInvalid = Self("identity.nationality.invalid")
}

extension SmartNationError.Code {
    /// A device id is malformed: 1 to 64 ASCII letters, digits, `-` or `_`.
    public static let identityDeviceIDInvalid = Self("identity.device.id_invalid")
    /// A challenge purpose is malformed: 1 to 64 characters, no line break.
    public static let identityDevicePurposeInvalid = Self("identity.device.purpose_invalid")
    /// A device's public key is not a P-256 key in X9.63 form.
    public static let identityDeviceKeyInvalid = Self("identity.device.key_invalid")
    /// The device id is already registered.
    public static let identityDeviceExists = Self("identity.device.exists")
    /// The citizen has no such live device.
    public static let identityDeviceNotFound = Self("identity.device.not_found")
    /// The citizen already has the most devices allowed.
    public static let identityDeviceLimit = Self("identity.device.limit")
}

extension SmartNationError.Code {
    /// The citizen has no such live session.
    public static let identitySessionNotFound = Self("identity.session.not_found")
}

extension SmartNationError.Code {
    /// The identifier or password is wrong (deliberately one code for both).
    public static let identityLoginWrongCredentials = Self("identity.login.wrong_credentials")
    /// The password is right but the one-time code is wrong.
    public static let identityLoginSecondFactorWrong = Self("identity.login.second_factor_wrong")
    /// The password and the TOTP code are right, but the code was used before.
    public static let identityLoginSecondFactorReplayed = Self("identity.login.second_factor_replayed")
    /// The password is right and a second factor is enrolled: send the one-time code too.
    public static let identityLoginSecondFactorRequired = Self("identity.login.second_factor_required")
    /// The account or the client address is locked out for now.
    public static let identityLoginLockedOut = Self("identity.login.locked_out")
    /// The account is closed.
    public static let identityLoginAccountClosed = Self("identity.login.account_closed")
    /// The request carries no live session token.
    public static let identitySessionRequired = Self("identity.session.required")
    /// The request carries no valid operator token.
    public static let identityAdminTokenRequired = Self("identity.admin.token_required")
}

extension LoginOutcome {
    /// Whether the attempt failed and so counts against its account and address: a wrong
    /// identifier, password or code. Not a lockout (never admitted), nor an outcome the throttle
    /// takes back (a closed account, a second factor still to come, a business refused).
    var isFailure: Bool {
        switch self {
        case .wrongCredentials, .wrongSecondFactor, .secondFactorReplayed, .malformedIdentifier: true
        case .succeeded, .secondFactorRequired, .lockedOut, .accountClosed, .entityRefused: false
        }
    }

    /// The refusal a failed outcome answers an API call with; `nil` for success.
    public var refusal: SmartNationError? {
        switch self {
        case .succeeded: nil
        case .secondFactorRequired: SmartNationError(.identityLoginSecondFactorRequired, httpStatus: 401)
        case .wrongCredentials: SmartNationError(.identityLoginWrongCredentials, httpStatus: 401)
        case .wrongSecondFactor: SmartNationError(.identityLoginSecondFactorWrong, httpStatus: 401)
        case .secondFactorReplayed: SmartNationError(.identityLoginSecondFactorReplayed, httpStatus: 401)
        case .lockedOut(let until):
            SmartNationError(.identityLoginLockedOut, parameters: ["until": until.formatted(.iso8601)], httpStatus: 429)
        case .accountClosed: SmartNationError(.identityLoginAccountClosed, httpStatus: 403)
        case .entityRefused(let refusal): refusal
        case .malformedIdentifier(let code):
            SmartNationError(code, parameters: ["field": "identifier", "expected": "an NRIC or FIN such as S1234567D"], httpStatus: 400)
        }
    }
}

extension SmartNationError.Code {
    /// No challenge with this nonce was issued.
    public static let identityDeviceChallengeUnknown = Self("identity.device.challenge_unknown")
    /// The challenge was answered before.
    public static let identityDeviceChallengeReplayed = Self("identity.device.challenge_replayed")
    /// The challenge expired before it was answered.
    public static let identityDeviceChallengeExpired = Self("identity.device.challenge_expired")
    /// The challenge was issued for another purpose.
    public static let identityDeviceChallengeOtherPurpose = Self("identity.device.challenge_other_purpose")
    /// The device's key signed the challenge, but it was revoked.
    public static let identityDeviceNotActive = Self("identity.device.not_active")
    /// The signature does not verify against the device's key and the challenge, or no device has
    /// the challenge's device id.
    public static let identityDeviceSignatureInvalid = Self("identity.device.signature_invalid")
}

extension DeviceLoginOutcome {
    /// The refusal a failed device login answers an API call with; `nil` for success.
    public var refusal: SmartNationError? {
        switch self {
        case .verified: nil
        case .unknownChallenge: SmartNationError(.identityDeviceChallengeUnknown, httpStatus: 401)
        case .replayed: SmartNationError(.identityDeviceChallengeReplayed, httpStatus: 401)
        case .expired: SmartNationError(.identityDeviceChallengeExpired, httpStatus: 401)
        case .otherPurpose: SmartNationError(.identityDeviceChallengeOtherPurpose, httpStatus: 401)
        case .deviceNotActive: SmartNationError(.identityDeviceNotActive, httpStatus: 401)
        case .badSignature: SmartNationError(.identityDeviceSignatureInvalid, httpStatus: 401)
        case .lockedOut(let until):
            SmartNationError(.identityLoginLockedOut, parameters: ["until": until.formatted(.iso8601)], httpStatus: 429)
        }
    }
}
