import Foundation
import SmartNationCore

/// An integrator's application registered with the provider.
public struct OpenIDClient: Sendable, Hashable, Codable {
    /// How the client proves who it is at the token, PAR, revocation and introspection endpoints.
    public enum Authentication: Sendable, Hashable, Codable {
        /// RFC 7523 client assertions signed with one of these keys (a JWKS document, ES256 keys).
        case privateKeyJWT(jwks: String)
        /// HTTP Basic with a secret, for development clients only; the SHA-256 of the secret is kept.
        case clientSecretBasic(secretHash: Data)

        /// The discovery name of the method.
        public var methodName: String {
            switch self {
            case .privateKeyJWT: "private_key_jwt"
            case .clientSecretBasic: "client_secret_basic"
            }
        }
    }

    /// The client id, chosen by the provider.
    public let clientID: String
    /// The application's name, shown on the consent page.
    public var name: String
    /// Redirect URIs, matched character for character.
    public var redirectURIs: [String]
    /// The person attributes the client may ask for.
    public var allowedAttributes: Set<PersonAttribute>
    /// How the client authenticates.
    public var authentication: Authentication
    /// Whether access tokens must be DPoP-bound (RFC 9449 `dpop_bound_access_tokens`).
    public var dpopBoundAccessTokens: Bool
    /// When it was registered.
    public let registeredAt: Date
}

/// What an operator supplies to register a client.
public struct ClientRegistration: Sendable, Hashable, Codable {
    /// The application's name, 1 to 100 characters.
    public var name: String
    /// 1 to 10 redirect URIs: `https://`, or `http://` on loopback for development; no fragment.
    public var redirectURIs: [String]
    /// Scopes the client may ask for, besides `openid`.
    public var scopes: [String]
    /// The client's public keys (a JWKS document with at least one P-256 key) for `private_key_jwt`;
    /// `nil` registers a development client that authenticates with a generated secret.
    public var jwks: String?
    /// Whether access tokens must be DPoP-bound. Defaults to true, as FAPI 2.0 requires.
    public var dpopBoundAccessTokens: Bool

    /// A registration.
    public init(name: String, redirectURIs: [String], scopes: [String], jwks: String?, dpopBoundAccessTokens: Bool = true) {
        self.name = name
        self.redirectURIs = redirectURIs
        self.scopes = scopes
        self.jwks = jwks
        self.dpopBoundAccessTokens = dpopBoundAccessTokens
    }

    enum CodingKeys: String, CodingKey {
        case name
        case redirectURIs = "redirect_uris"
        case scopes
        case jwks
        case dpopBoundAccessTokens = "dpop_bound_access_tokens"
    }

    /// Decodes the admin API's JSON form: `jwks` as a JWKS object (or its text);
    /// `dpop_bound_access_tokens` defaults to true.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        redirectURIs = try container.decode([String].self, forKey: .redirectURIs)
        scopes = try container.decode([String].self, forKey: .scopes)
        switch try container.decodeIfPresent(JSONValue.self, forKey: .jwks) {
        case nil, .null?: jwks = nil
        case .string(let text)?: jwks = text
        case let document?: jwks = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        }
        dpopBoundAccessTokens = try container.decodeIfPresent(Bool.self, forKey: .dpopBoundAccessTokens) ?? true
    }
}

/// A newly registered client, and its secret when it is a development client: shown once, never stored.
public struct RegisteredClient: Sendable, Hashable {
    /// The client.
    public let client: OpenIDClient
    /// The `client_secret_basic` secret of a development client.
    public let secret: String?
}
