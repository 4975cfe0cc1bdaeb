import Foundation

/// A business entity, keyed by its UEN, for which authorised citizens may log in (as Corppass does
/// for Singpass).
public struct Business: Sendable, Hashable {
    /// The entity's UEN.
    public let uen: UEN
    /// The registered name.
    public let name: String
    /// When it was registered with the platform.
    public let registeredAt: Date
}

/// A citizen's authority to act for a business.
public struct BusinessRepresentation: Sendable, Hashable {
    /// What a representative may do for the entity.
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        /// Manages the entity's representatives and acts for it.
        case administrator
        /// Acts for the entity.
        case user
    }

    /// The business.
    public let business: Business
    /// The citizen's subject.
    public let subject: String
    /// Their role.
    public let role: Role

    /// The `entity` claim of ID tokens and userinfo: `{uen, name, role}`.
    public var claim: [String: String] {
        ["uen": business.uen.value, "name": business.name, "role": role.rawValue]
    }
}
