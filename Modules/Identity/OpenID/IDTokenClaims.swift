import Foundation
import JWTKit
import SmartNationCore

/// The claims of an ID token (OpenID Connect Core §2) plus the consented person attributes.
public struct IDTokenClaims: JWTPayload, Hashable {
    /// The issuer.
    public var issuer: String
    /// The citizen's opaque subject, never the NRIC.
    public var subject: String
    /// The client id.
    public var audience: String
    /// Issue time, seconds since 1970.
    public var issuedAt: Int
    /// Expiry, seconds since 1970.
    public var expiresAt: Int
    /// When the citizen authenticated, seconds since 1970.
    public var authTime: Int
    /// The request's `nonce`, echoed.
    public var nonce: String?
    /// How the citizen authenticated (`pwd`, `otp`, `hwk`).
    public var authenticationMethods: [String]
    /// Consented attributes in MyInfo form, by attribute name.
    public var attributes: [String: JSONValue]

    private struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let standardClaims: Set<String> = ["iss", "sub", "aud", "iat", "exp", "auth_time", "nonce", "amr"]

    /// Claims for one token.
    public init(
        issuer: String, subject: String, audience: String, issuedAt: Int, expiresAt: Int, authTime: Int,
        nonce: String?, authenticationMethods: [String], attributes: [String: JSONValue]
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.authTime = authTime
        self.nonce = nonce
        self.authenticationMethods = authenticationMethods
        self.attributes = attributes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: DynamicKey.self)
        issuer = try container.decode(String.self, forKey: DynamicKey("iss"))
        subject = try container.decode(String.self, forKey: DynamicKey("sub"))
        audience = try container.decode(String.self, forKey: DynamicKey("aud"))
        issuedAt = try container.decode(Int.self, forKey: DynamicKey("iat"))
        expiresAt = try container.decode(Int.self, forKey: DynamicKey("exp"))
        authTime = try container.decode(Int.self, forKey: DynamicKey("auth_time"))
        nonce = try container.decodeIfPresent(String.self, forKey: DynamicKey("nonce"))
        authenticationMethods = try container.decode([String].self, forKey: DynamicKey("amr"))
        var attributes: [String: JSONValue] = [:]
        for key in container.allKeys where !Self.standardClaims.contains(key.stringValue) {
            attributes[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        self.attributes = attributes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(issuer, forKey: DynamicKey("iss"))
        try container.encode(subject, forKey: DynamicKey("sub"))
        try container.encode(audience, forKey: DynamicKey("aud"))
        try container.encode(issuedAt, forKey: DynamicKey("iat"))
        try container.encode(expiresAt, forKey: DynamicKey("exp"))
        try container.encode(authTime, forKey: DynamicKey("auth_time"))
        try container.encodeIfPresent(nonce, forKey: DynamicKey("nonce"))
        try container.encode(authenticationMethods, forKey: DynamicKey("amr"))
        for (name, value) in attributes where !Self.standardClaims.contains(name) {
            try container.encode(value, forKey: DynamicKey(name))
        }
    }

    /// The claims as one JSON object, standard claims last so attributes never override them.
    var jsonValue: JSONValue {
        var members = attributes.filter { !Self.standardClaims.contains($0.key) }
        members["iss"] = .string(issuer)
        members["sub"] = .string(subject)
        members["aud"] = .string(audience)
        members["iat"] = .integer(Int64(issuedAt))
        members["exp"] = .integer(Int64(expiresAt))
        members["auth_time"] = .integer(Int64(authTime))
        if let nonce { members["nonce"] = .string(nonce) }
        members["amr"] = .array(authenticationMethods.map(JSONValue.string))
        return .object(members)
    }

    /// Nothing: ``OpenIDProvider/verifyIDToken(_:audience:)`` checks issuer, audience and expiry
    /// against the provider's clock once the signature holds.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
