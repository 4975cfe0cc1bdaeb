import Crypto
import Foundation
import SmartNationCore

/// What a request carries to authenticate its client: HTTP Basic credentials, or an RFC 7523
/// client assertion in the form body.
public struct ClientCredentials: Sendable {
    /// The client id and secret from `Authorization: Basic`, URL-decoded.
    public var basic: (clientID: String, secret: String)?
    /// `client_id` from the form, when present.
    public var clientID: String?
    /// `client_assertion_type` from the form.
    public var assertionType: String?
    /// `client_assertion` from the form.
    public var assertion: String?

    /// Credentials as read from a request.
    public init(basic: (clientID: String, secret: String)? = nil, clientID: String? = nil, assertionType: String? = nil, assertion: String? = nil) {
        self.basic = basic
        self.clientID = clientID
        self.assertionType = assertionType
        self.assertion = assertion
    }
}

/// A client whose credentials verified, with the assertion `jti` it must still claim (none for
/// `client_secret_basic`).
struct AuthenticatedClient: Sendable {
    /// The client.
    let client: OpenIDClient
    /// The assertion's single-use `jti`, claimed by the caller in the transaction that acts on the request.
    let replayKey: SingleUseKey?
}

/// Authenticates clients: `private_key_jwt` with ES256 assertions whose `aud` is the issuer, that
/// live at most two minutes and whose `jti` is never reused; `client_secret_basic` for development
/// clients, compared in constant time.
final class ClientAuthenticator: Sendable {
    static let jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// The most clients whose parsed keys are kept; past it the cache starts over.
    static let keyCacheClientsMax = 10_000
    /// How far ahead of this server's clock an assertion's `iat` or `nbf` may be: the client's clock
    /// may run a little fast.
    static let clockSkewSeconds = 5

    let registry: ClientRegistry
    let replayGuard: ReplayGuard
    let settings: OpenIDSettings
    let clock: @Sendable () -> Date
    let signatures: ES256Verifier
    private let keyCache = BoundedCache<String, ParsedKeys>(entriesMax: keyCacheClientsMax)

    init(
        registry: ClientRegistry, replayGuard: ReplayGuard, settings: OpenIDSettings, signatures: ES256Verifier, clock: @escaping @Sendable () -> Date
    ) {
        self.registry = registry
        self.signatures = signatures
        self.replayGuard = replayGuard
        self.settings = settings
        self.clock = clock
    }

    /// The client the credentials prove, its assertion's `jti` claimed at once: for endpoints that
    /// have no transaction of their own to claim it in.
    func authenticate(_ credentials: ClientCredentials) async throws(SmartNationError) -> OpenIDClient {
        let authenticated = try await verify(credentials)
        if let key = authenticated.replayKey { try await replayGuard.claim(key) }
        return authenticated.client
    }

    /// The client the credentials prove, or a refusal naming what is wrong. The assertion's `jti` is
    /// returned unclaimed; the caller claims it (``ReplayGuard/claim(_:in:)``) before acting.
    func verify(_ credentials: ClientCredentials) async throws(SmartNationError) -> AuthenticatedClient {
        if let basic = credentials.basic {
            guard credentials.assertion == nil else {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "use one client authentication method")
            }
            guard settings.allowsDevelopmentClients else {
                throw Self.unauthorized(
                    .oauthClientAuthenticationMissing, "client_secret_basic is off on this provider: authenticate with private_key_jwt")
            }
            let client = try await knownClient(basic.clientID)
            guard case .clientSecretBasic(let secretHash) = client.authentication else {
                throw Self.unauthorized(.oauthClientAuthenticationMissing, "this client authenticates with private_key_jwt")
            }
            guard constantTimeEquals(Array(RandomToken.hash(basic.secret)), Array(secretHash)) else {
                throw Self.unauthorized(.oauthClientSecretWrong, "the client secret is wrong")
            }
            return AuthenticatedClient(client: client, replayKey: nil)
        }
        guard let assertion = credentials.assertion else {
            throw Self.unauthorized(.oauthClientAuthenticationMissing, "client authentication is required")
        }
        guard credentials.assertionType == Self.jwtBearerAssertionType else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "client_assertion_type must be \(Self.jwtBearerAssertionType)")
        }
        guard let jws = CompactJWS(assertion), let issuer = jws.string("iss") else {
            throw Self.unauthorized(.oauthClientAssertionSignature, "the client assertion is not a JWT")
        }
        guard credentials.clientID == nil || credentials.clientID == issuer else {
            throw Self.unauthorized(.oauthClientAssertionClaims, "client_id and the assertion's iss differ")
        }
        let client = try await knownClient(issuer)
        guard case .privateKeyJWT(let jwks) = client.authentication else {
            throw Self.unauthorized(.oauthClientAuthenticationMissing, "this client authenticates with client_secret_basic")
        }
        guard jws.algorithm == "ES256" else {
            throw Self.unauthorized(.oauthClientAssertionSignature, "client assertions are signed with ES256")
        }
        let kid = jws.header["kid"]?.stringValue
        let candidates = keys(for: client.clientID, jwks: jwks).filter { kid == nil || $0.kid == kid }
        guard candidates.contains(where: { jws.isSigned(by: $0.key, using: signatures) }) else {
            throw Self.unauthorized(.oauthClientAssertionSignature, "the client assertion is not signed by a registered key")
        }
        guard jws.string("sub") == client.clientID, let jti = jws.string("jti"), !jti.isEmpty, jti.utf8.count <= 256 else {
            throw Self.unauthorized(.oauthClientAssertionClaims, "iss and sub must be the client id, and jti present")
        }
        let audience: [String]? = switch jws.payload["aud"] {
        case .string(let single)?: [single]
        case .array(let values)?: values.map { $0.stringValue ?? "" }
        default: nil
        }
        guard audience == [settings.issuer] else {
            throw Self.unauthorized(.oauthClientAssertionAudience, "aud must be the issuer \(settings.issuer) alone")
        }
        let now = clock().timeIntervalSince1970
        let latestAcceptable = Int(now) + Self.clockSkewSeconds
        guard let exp = jws.seconds("exp"), let iat = jws.seconds("iat"), exp > Int(now), iat <= latestAcceptable,
              TimeInterval(exp - iat) <= settings.clientAssertionLifetimeMax else {
            throw Self.unauthorized(.oauthClientAssertionExpired, "the assertion is expired or lives longer than \(Int(settings.clientAssertionLifetimeMax)) s")
        }
        if jws.payload["nbf"] != nil {
            guard let notBefore = jws.seconds("nbf"), notBefore <= latestAcceptable else {
                throw Self.unauthorized(.oauthClientAssertionExpired, "the assertion is not valid yet (nbf)")
            }
        }
        return AuthenticatedClient(
            client: client,
            replayKey: SingleUseKey(
                key: "assertion:\(client.clientID):\(jti)", expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)), refusal: Self.assertionReplayed))
    }

    /// The refusal of an assertion whose `jti` was claimed before.
    private static let assertionReplayed = unauthorized(.oauthClientAssertionReplayed, "the assertion's jti was used before")

    private func knownClient(_ clientID: String) async throws(SmartNationError) -> OpenIDClient {
        guard let client = try await registry.client(id: clientID) else {
            throw Self.unauthorized(.oauthClientUnknown, "no such client")
        }
        return client
    }

    /// The client's registered keys, parsed once per JWKS document the client has (the registry
    /// checked the document when it was registered or replaced).
    private func keys(for clientID: String, jwks: String) -> [ClientKey] {
        let cached = keyCache.lookUp(clientID)
        if let parsed = cached.value, parsed.jwks == jwks { return parsed.keys }
        let keys = ((try? ClientRegistry.keys(of: jwks)) ?? []).map { ClientKey(kid: $0.kid, key: VerificationKey($0.key)) }
        keyCache.insert(ParsedKeys(jwks: jwks, keys: keys), for: clientID, ifNoRemovalSince: cached.removals)
        return keys
    }

    private static func unauthorized(_ code: SmartNationError.Code, _ reason: String) -> SmartNationError {
        .oauth(code, "invalid_client", httpStatus: 401, reason)
    }
}

/// One registered key of a client, by its `kid`.
private struct ClientKey: Sendable {
    let kid: String
    let key: VerificationKey
}

/// A client's JWKS document and the keys parsed from it.
private struct ParsedKeys: Sendable {
    let jwks: String
    let keys: [ClientKey]
}
