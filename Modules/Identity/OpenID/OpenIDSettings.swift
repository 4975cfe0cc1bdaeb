import Foundation

/// The OpenID provider's issuer and lifetimes. Defaults follow the Singpass FAPI 2.0 profile:
/// short-lived requests, codes and proofs; client assertions of at most two minutes.
public struct OpenIDSettings: Sendable, Hashable {
    /// The issuer identifier, an absolute URL without a trailing slash (`https://id.example.sg`).
    /// Every endpoint lives under it.
    public var issuer: String
    /// How long a `request_uri` from the pushed authorization endpoint stays usable.
    public var pushedRequestLifetime: TimeInterval = 90
    /// How long an authorization code stays usable.
    public var authorizationCodeLifetime: TimeInterval = 60
    /// How long access and ID tokens last.
    public var accessTokenLifetime: TimeInterval = 600
    /// How long a refresh token lasts, unless its grant ends first.
    public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    /// How long one login lasts, however often its refresh token rotates: from `auth_time` plus
    /// this, the refresh grant is refused and the citizen logs in again. It is also how long a
    /// spent code is kept, so that presenting it again revokes what it issued.
    public var grantLifetime: TimeInterval = 90 * 24 * 3600
    /// The longest a client assertion may live (`exp` − `iat`).
    public var clientAssertionLifetimeMax: TimeInterval = 120
    /// How far a DPoP proof's `iat` may be from now.
    public var dpopProofWindow: TimeInterval = 60
    /// How long a device code stays usable.
    public var deviceCodeLifetime: TimeInterval = 600
    /// The least time between two polls of one device code.
    public var devicePollingInterval: TimeInterval = 5
    /// The most pushed requests, and separately the most device codes, one client may have pending
    /// at once; past it the client is refused with `identity.oauth.pending_limit_reached` (429)
    /// until some are used or expire. (A code needs a citizen's login, so codes need no limit.)
    public var pendingPerClientMax = 10_000
    /// How long a retired signing key stays in the JWKS, so tokens it signed still verify.
    public var signingKeyOverlap: TimeInterval = 24 * 3600
    /// How long a new signing key is published before it signs: longer than clients may cache the
    /// JWKS (`/oauth2/jwks` says `max-age=300`), so they hold it before they meet a token it signed.
    public var signingKeyPublicationLead: TimeInterval = 600
    /// Whether development clients, which authenticate with a client secret (`client_secret_basic`),
    /// may register and authenticate. Off by default: the FAPI 2.0 profile admits only
    /// `private_key_jwt` (or mutual TLS), so a production provider refuses secrets.
    public var allowsDevelopmentClients = false

    /// Settings for the issuer `issuer`.
    public init(issuer: String) {
        precondition(!issuer.hasSuffix("/"), "an issuer identifier has no trailing slash")
        self.issuer = issuer
    }

    /// `/oauth2/token` under the issuer.
    public var tokenEndpoint: String { issuer + "/oauth2/token" }
    /// `/oauth2/par` under the issuer.
    public var pushedAuthorizationEndpoint: String { issuer + "/oauth2/par" }
    /// `/oauth2/authorize` under the issuer.
    public var authorizationEndpoint: String { issuer + "/oauth2/authorize" }
    /// `/oauth2/userinfo` under the issuer.
    public var userinfoEndpoint: String { issuer + "/oauth2/userinfo" }
    /// `/oauth2/jwks` under the issuer.
    public var jwksURI: String { issuer + "/oauth2/jwks" }
    /// `/oauth2/revoke` under the issuer.
    public var revocationEndpoint: String { issuer + "/oauth2/revoke" }
    /// `/oauth2/introspect` under the issuer.
    public var introspectionEndpoint: String { issuer + "/oauth2/introspect" }
    /// `/oauth2/device_authorization` under the issuer.
    public var deviceAuthorizationEndpoint: String { issuer + "/oauth2/device_authorization" }
    /// Where a citizen enters a device's user code: `/oauth2/device` under the issuer.
    public var deviceVerificationURI: String { issuer + "/oauth2/device" }
}
