import Foundation
import SmartNationCore

/// A citizen (or resident, or foreigner with a FIN) known to the identity platform.
///
/// `subject` is the stable opaque identifier integrators see (the OpenID Connect `sub`); the NRIC is
/// personal data and is shared only as a consented attribute.
public struct Citizen: Sendable, Hashable, Codable {
    /// Whether the account can be used.
    public enum Status: String, Sendable, Hashable, Codable {
        /// The account is open.
        case active
        /// The account was closed; it cannot log in and its identifier cannot register again.
        case closed
    }

    /// The opaque, stable subject identifier: a UUID, never derived from the NRIC.
    public let subject: String
    /// The NRIC or FIN.
    public let nric: NRIC
    /// The registered name.
    public var name: String
    /// The date of birth, `YYYY-MM-DD`.
    public var dateOfBirth: String
    /// Sex as registered.
    public var sex: Sex
    /// Nationality, as registered (such as `SINGAPORE CITIZEN`).
    public var nationality: String
    /// The registered address.
    public var address: RegisteredAddress
    /// The mobile number, if given.
    public var mobile: MobileNumber?
    /// The email address, if given.
    public var email: EmailAddress?
    /// The language the citizen's screens and messages use.
    public var preferredLanguage: PreferredLanguage
    /// Open or closed.
    public var status: Status
    /// When the account was registered.
    public var registeredAt: Date
    /// When the account was closed.
    public var closedAt: Date?
}

/// What a registration supplies; ``CitizenRegistry/register(_:)`` checks every field.
public struct CitizenRegistration: Sendable, Hashable {
    /// The NRIC or FIN, as typed.
    public var nric: String
    /// The registered name.
    public var name: String
    /// The date of birth, `YYYY-MM-DD`.
    public var dateOfBirth: String
    /// Sex as registered.
    public var sex: Sex
    /// Nationality.
    public var nationality: String
    /// The registered address.
    public var address: RegisteredAddress
    /// The mobile number, as typed.
    public var mobile: String?
    /// The email address, as typed.
    public var email: String?
    /// The preferred language.
    public var preferredLanguage: PreferredLanguage

    /// Creates a registration.
    public init(
        nric: String, name: String, dateOfBirth: String, sex: Sex, nationality: String, address: RegisteredAddress,
        mobile: String? = nil, email: String? = nil, preferredLanguage: PreferredLanguage = .english
    ) {
        self.nric = nric
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.nationality = nationality
        self.address = address
        self.mobile = mobile
        self.email = email
        self.preferredLanguage = preferredLanguage
    }
}
