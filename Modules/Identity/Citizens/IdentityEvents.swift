import SmartNationCore

/// The source of every identity event.
public let identityEventSource = "/smartnation/identity"

/// A citizen's account was opened. Carries only the opaque subject: personal data stays in the platform.
public struct CitizenRegistered: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.citizen.registered"
    /// The citizen's subject identifier.
    public var subject: String
    /// The citizen's preferred language, so that other platforms can address them in it.
    public var preferredLanguage: PreferredLanguage
}

/// A citizen's account was closed. Payments freezes the citizen's proxies on this event.
public struct CitizenClosed: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.citizen.closed"
    /// The citizen's subject identifier.
    public var subject: String
    /// Why it was closed, in an operator's words.
    public var reason: String
}

/// A registration was refused: the audit trail of bad input at the front door. It carries the
/// refusal's code, never the identifier or the other fields typed.
public struct CitizenRegistrationRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.registration.rejected"
    /// The stable error code of the refusal, such as `identity.nric.checksum`.
    public var code: String
}
