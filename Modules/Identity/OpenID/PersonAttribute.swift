import Foundation
import SmartNationCore

/// A MyInfo-style attribute of a citizen that an integrator may ask for. Each is a scope of its own;
/// the citizen consents per client, and tokens and userinfo carry only what was consented.
public enum PersonAttribute: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Full name.
    case name
    /// The NRIC or FIN: an attribute like any other, never the `sub`.
    case uinfin
    /// Date of birth, `YYYY-MM-DD`.
    case dob
    /// Sex.
    case sex
    /// Nationality.
    case nationality
    /// Registered address.
    case regadd
    /// Mobile number.
    case mobileno
    /// Email address.
    case email

    public static func < (lhs: PersonAttribute, rhs: PersonAttribute) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// The message key of the attribute's label on the consent page.
    public var labelKey: String { "identity.attribute.\(rawValue)" }

    /// The English label until the Multilingual catalogues render ``labelKey``.
    public var englishLabel: String {
        switch self {
        case .name: "Full name"
        case .uinfin: "NRIC or FIN"
        case .dob: "Date of birth"
        case .sex: "Sex"
        case .nationality: "Nationality"
        case .regadd: "Registered address"
        case .mobileno: "Mobile number"
        case .email: "Email address"
        }
    }

    /// The attribute as MyInfo presents it: `{value, source, classification, lastupdated}`; `nil`
    /// when the citizen has no such data (no email on record).
    func claim(of citizen: Citizen) -> JSONValue? {
        let value: JSONValue
        switch self {
        case .name: value = .string(citizen.name)
        case .uinfin: value = .string(citizen.nric.value)
        case .dob: value = .string(citizen.dateOfBirth)
        case .sex: value = .string(citizen.sex.rawValue)
        case .nationality: value = .string(citizen.nationality)
        case .regadd:
            var address: [String: JSONValue] = [
                "block": .string(citizen.address.block), "street": .string(citizen.address.street),
                "postal": .string(citizen.address.postalCode), "country": .string("SG"),
            ]
            if let unit = citizen.address.unit { address["unit"] = .string(unit) }
            value = .object(address)
        case .mobileno:
            guard let mobile = citizen.mobile else { return nil }
            value = .string(mobile.value)
        case .email:
            guard let email = citizen.email else { return nil }
            value = .string(email.value)
        }
        return .object([
            "value": value, "source": .string("1"), "classification": .string("C"),
            "lastupdated": .string(citizen.registeredAt.formatted(.iso8601.year().month().day())),
        ])
    }
}

/// The scopes of one request: `openid` plus person attributes, parsed from the space-separated form.
public struct ScopeSet: Sendable, Hashable, Codable {
    /// The person attributes asked for.
    public let attributes: Set<PersonAttribute>

    /// The scope every OpenID request carries.
    public static let openID = "openid"
    /// The longest scope parameter accepted.
    public static let lengthMax = 1024

    /// Parses `openid name uinfin …`; `openid` is required, unknown scopes are refused.
    public init(parsing text: String) throws(SmartNationError) {
        guard text.utf8.count <= Self.lengthMax else {
            throw .oauth(.oauthScopeInvalid, "invalid_scope", "the scope parameter is too long")
        }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.contains(Self.openID) else {
            throw .oauth(.oauthScopeInvalid, "invalid_scope", "the openid scope is required")
        }
        var attributes = Set<PersonAttribute>()
        for word in words where word != Self.openID {
            guard let attribute = PersonAttribute(rawValue: word) else {
                throw .oauth(.oauthScopeInvalid, "invalid_scope", "unknown scope \(word)")
            }
            attributes.insert(attribute)
        }
        self.attributes = attributes
    }

    /// A scope set of `attributes` (and `openid`).
    public init(attributes: Set<PersonAttribute>) {
        self.attributes = attributes
    }

    /// The space-separated form, `openid` first and the attributes sorted.
    public var text: String {
        ([Self.openID] + attributes.sorted().map(\.rawValue)).joined(separator: " ")
    }
}
