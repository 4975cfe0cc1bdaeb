import SmartNationCore

/// A citizen logged in. The audit trail of every success.
public struct LoginSucceeded: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.login.succeeded"
    /// The citizen's subject.
    public var subject: String
    /// How they authenticated (`pwd`, `otp`).
    public var methods: [String]
    /// The client's address.
    public var clientAddress: String
    /// `step_up` when the citizen proved their presence to change a factor (no session opened);
    /// absent for a login.
    public var purpose: String?
}

/// A login attempt failed. The audit trail of every failure; carries the subject only when the
/// identifier named a registered citizen, and never the identifier typed.
public struct LoginFailed: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.login.failed"
    /// The citizen's subject, when the identifier was registered.
    public var subject: String?
    /// Why: `wrong_credentials`, `second_factor_required`, `wrong_second_factor`, `replayed_second_factor`,
    /// `locked_out`, `account_closed`, `malformed_identifier`, `identifier_checksum` (the NRIC's
    /// form is right, its check letter wrong), `not_representative` and
    /// `entity_invalid` (a business login), `device_…` (a device login).
    public var reason: String
    /// The client's address.
    public var clientAddress: String
    /// `step_up` when the citizen was proving their presence to change a factor; absent for a login.
    public var purpose: String?
}

/// A TOTP enrolment's confirmation was refused: no enrolment waited, or the code was not the new
/// secret's. The enrolled factor, if any, is unchanged.
public struct TOTPConfirmationRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.totp.confirmation_rejected"
    /// The citizen's subject.
    public var subject: String
    /// The stable error code of the refusal.
    public var code: String
}
