import Crypto
import Foundation
import JWTKit
import SmartNationCore
import Synchronization

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

/// The claims of a client assertion (RFC 7523 §3).
struct ClientAssertionClaims: JWTPayload {
    var iss: String?
    var sub: String?
    var aud: AudienceClaim?
    var exp: Int?
    var iat: Int?
    var jti: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Authenticates clients: `private_key_jwt` with ES256 assertions whose `aud` is the issuer, that
/// live at most two minutes and whose `jti` is never reused; `client_secret_basic` for development
/// clients, compared in constant time.
final class ClientAuthenticator: Sendable {
    static let jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    static let assertionBytesMax = 8 * 1024

    let registry: ClientRegistry
    let replayGuard: ReplayGuard
    let settings: OpenIDSettings
    let clock: @Sendable () -> Date
    private let keyCollections = Mutex<[String: JWTKeyCollection]>([:])

    init(registry: ClientRegistry, replayGuard: ReplayGuard, settings: OpenIDSettings, clock: @escaping @Sendable () -> Date) {
        self.registry = registry
        self.replayGuard = replayGuard
        self.settings = settings
        self.clock = clock
    }

    /// The client the credentials prove, or a refusal naming what is wrong.
    func authenticate(_ credentials: ClientCredentials) async throws(SmartNationError) -> OpenIDClient {
        if let basic = credentials.basic {
            guard credentials.assertion == nil else {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "use one client authentication method")
            }
            let client = try await knownClient(basic.clientID)
            guard case .clientSecretBasic(let secretHash) = client.authentication else {
                throw Self.unauthorized(.oauthClientAuthenticationMissing, "this client authenticates with private_key_jwt")
            }
            guard constantTimeEquals(Array(RandomToken.hash(basic.secret)), Array(secretHash)) else {
                throw Self.unauthorized(.oauthClientSecretWrong, "the client secret is wrong")
            }
            return client
        }
        guard let assertion = credentials.assertion else {
            throw Self.unauthorized(.oauthClientAuthenticationMissing, "client authentication is required")
        }
        guard credentials.assertionType == Self.jwtBearerAssertionType else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "client_assertion_type must be \(Self.jwtBearerAssertionType)")
        }
        guard assertion.utf8.count <= Self.assertionBytesMax,
              let unverified = try? DefaultJWTParser().parse(Array(assertion.utf8), as: ClientAssertionClaims.self),
              let issuer = unverified.payload.iss else {
            throw Self.unauthorized(.oauthClientAssertionSignature, "the client assertion is not a JWT")
        }
        guard credentials.clientID == nil || credentials.clientID == issuer else {
            throw Self.unauthorized(.oauthClientAssertionClaims, "client_id and the assertion's iss differ")
        }
        let client = try await knownClient(issuer)
        guard case .privateKeyJWT(let jwks) = client.authentication else {
            throw Self.unauthorized(.oauthClientAuthenticationMissing, "this client authenticates with client_secret_basic")
        }
        guard unverified.header.alg == "ES256" else {
            throw Self.unauthorized(.oauthClientAssertionSignature, "client assertions are signed with ES256")
        }
        let claims: ClientAssertionClaims
        do {
            claims = try await keys(for: client.clientID, jwks: jwks).verify(assertion, as: ClientAssertionClaims.self, iteratingKeys: true)
        } catch {
            throw Self.unauthorized(.oauthClientAssertionSignature, "the client assertion is not signed by a registered key")
        }
        guard claims.sub == client.clientID, let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw Self.unauthorized(.oauthClientAssertionClaims, "iss and sub must be the client id, and jti present")
        }
        guard let audience = claims.aud?.value, audience == [settings.issuer] else {
            throw Self.unauthorized(.oauthClientAssertionAudience, "aud must be the issuer \(settings.issuer) alone")
        }
        let now = clock().timeIntervalSince1970
        guard let exp = claims.exp, let iat = claims.iat, exp > Int(now), iat <= Int(now) + 5,
              TimeInterval(exp - iat) <= settings.clientAssertionLifetimeMax else {
            throw Self.unauthorized(.oauthClientAssertionExpired, "the assertion is expired or lives longer than \(Int(settings.clientAssertionLifetimeMax)) s")
        }
        guard try await replayGuard.claim("assertion:\(client.clientID):\(jti)", until: Date(timeIntervalSince1970: TimeInterval(exp))) else {
            throw Self.unauthorized(.oauthClientAssertionReplayed, "the assertion's jti was used before")
        }
        return client
    }

    private func knownClient(_ clientID: String) async throws(SmartNationError) -> OpenIDClient {
        guard let client = try await registry.client(id: clientID) else {
            throw Self.unauthorized(.oauthClientUnknown, "no such client")
        }
        return client
    }

    private func keys(for clientID: String, jwks: String) async throws -> JWTKeyCollection {
        if let cached = keyCollections.withLock({ $0[clientID] }) { return cached }
        let collection = try await JWTKeyCollection().add(jwksJSON: jwks)
        keyCollections.withLock { cache in
            if cache.count >= 10_000 { cache.removeAll() }
            cache[clientID] = collection
        }
        return collection
    }

    private static func unauthorized(_ code: SmartNationError.Code, _ reason: String) -> SmartNationError {
        .oauth(code, "invalid_client", httpStatus: 401, reason)
    }
}
