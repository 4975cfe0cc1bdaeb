import SmartNationCore

/// A citizen consented to share attributes with a client.
public struct ConsentGranted: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.consent.granted"
    /// The citizen's subject.
    public var subject: String
    /// The client.
    public var clientID: String
    /// The attributes this decision shared, sorted.
    public var attributes: [String]
    /// The attributes consented before that this decision left out, and so withdrew, sorted; absent
    /// when it withdrew none.
    public var withdrawn: [String]?
}

/// A citizen withdrew a consent; every grant the client held for them is revoked.
public struct ConsentRevoked: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.consent.revoked"
    /// The citizen's subject.
    public var subject: String
    /// The client.
    public var clientID: String
}

/// The provider refused an OAuth or OpenID request: the audit trail of bad input.
public struct OAuthRequestRejected: BusEvent, Hashable {
    public static let eventType = "sg.smartnation.identity.oauth.rejected"
    /// The endpoint: `par`, `authorize`, `token`, `userinfo`, `revoke`, `introspect`,
    /// `device_authorization`, `device_lookup`, `device_approval`, or `id_token_verification`
    /// (``OpenIDProvider/verifyIDToken(_:audience:)``, called in process).
    public var endpoint: String
    /// The stable error code.
    public var code: String
    /// The client, when the request named one that could be a client id (at most 64 bytes of
    /// printable ASCII; the name is not authenticated).
    public var clientID: String?
}
