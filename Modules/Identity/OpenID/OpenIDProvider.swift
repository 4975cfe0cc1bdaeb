import Foundation
import GRDB
import SmartNationCore

/// The OpenID Connect provider for integrators, on the Singpass FAPI 2.0 profile: pushed
/// authorization requests, PKCE S256, DPoP-bound tokens, `private_key_jwt`, `iss` in the
/// authorization response, rotating refresh tokens, userinfo, revocation, introspection and the
/// device authorization grant, over consent-based person data.
///
/// Every refused request is audited as ``OAuthRequestRejected`` through the outbox and otherwise
/// changes nothing, with deliberate exceptions: the `jti`s of a refused token request's assertion and
/// proof are spent; a reused authorization code or refresh token revokes everything issued under
/// its grant, as the specifications require; and so does a token request for a closed citizen.
public struct OpenIDProvider: Sendable {
    /// The issuer, endpoints and lifetimes.
    public let settings: OpenIDSettings
    /// The client registry (admin API).
    public let clients: ClientRegistry
    /// The signing keys and their JWKS.
    public let signingKeys: ProviderSigningKeys
    let database: DatabasePool
    let citizens: CitizenRegistry
    let businesses: BusinessRegistry
    let authenticator: ClientAuthenticator
    let dpop: DPoPVerifier
    /// Checks client assertions' and DPoP proofs' signatures, with tables for the keys that sign most.
    let signatures = ES256Verifier()
    let replayGuard: ReplayGuard
    let clock: @Sendable () -> Date
    let decodedCitizens = DecodedCitizenCache()
    /// The token endpoint's transactions, committed in groups under load.
    let tokenWrites: GroupCommit
    /// Wrong user codes entered by each citizen (RFC 8628 §5.1: user codes are short enough to guess),
    /// counted in the login throttle's table under `account:user-code:<subject>`.
    let userCodeAttempts: LoginThrottle

    /// Wrong user codes a citizen may enter before each further one locks them out, for 60 s and
    /// doubling up to an hour.
    public static let userCodeFreeFailures = 5

    /// Opens the provider over the identity database, creating the first signing key if needed.
    public init(
        settings: OpenIDSettings,
        database: DatabasePool,
        citizens: CitizenRegistry,
        sealer: SecretSealer,
        clock: @escaping @Sendable () -> Date = Date.init
    ) async throws(SmartNationError) {
        self.settings = settings
        self.database = database
        self.citizens = citizens
        self.clock = clock
        tokenWrites = GroupCommit(writer: database)
        userCodeAttempts = LoginThrottle(
            store: SQLiteLoginThrottleStore(database: database),
            configuration: .init(freeFailures: Self.userCodeFreeFailures, initialLockout: 60, maximumLockout: 3600))
        clients = ClientRegistry(database: database, allowsDevelopmentClients: settings.allowsDevelopmentClients, clock: clock)
        businesses = BusinessRegistry(database: database, clock: clock)
        signingKeys = try await ProviderSigningKeys(
            database: database, sealer: sealer, overlap: settings.signingKeyOverlap, publicationLead: settings.signingKeyPublicationLead,
            clock: clock)
        replayGuard = try await ReplayGuard.open(database: database, clock: clock)
        authenticator = ClientAuthenticator(registry: clients, replayGuard: replayGuard, settings: settings, signatures: signatures, clock: clock)
        dpop = DPoPVerifier(replayGuard: replayGuard, settings: settings, signatures: signatures, clock: clock)
    }

    /// The discovery document served at `/.well-known/openid-configuration`.
    public var discoveryDocument: JSONValue {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return .object([
            "issuer": .string(settings.issuer),
            "authorization_endpoint": .string(settings.authorizationEndpoint),
            "pushed_authorization_request_endpoint": .string(settings.pushedAuthorizationEndpoint),
            "require_pushed_authorization_requests": .bool(true),
            "token_endpoint": .string(settings.tokenEndpoint),
            "userinfo_endpoint": .string(settings.userinfoEndpoint),
            "jwks_uri": .string(settings.jwksURI),
            "revocation_endpoint": .string(settings.revocationEndpoint),
            "introspection_endpoint": .string(settings.introspectionEndpoint),
            "device_authorization_endpoint": .string(settings.deviceAuthorizationEndpoint),
            "scopes_supported": strings([ScopeSet.openID] + PersonAttribute.allCases.map(\.rawValue)),
            "claims_supported": strings(["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "entity"] + PersonAttribute.allCases.map(\.rawValue)),
            "response_types_supported": strings(["code"]),
            "response_modes_supported": strings(["query"]),
            "grant_types_supported": strings(["authorization_code", "refresh_token", DeviceGrant.grantType]),
            "subject_types_supported": strings(["public"]),
            "id_token_signing_alg_values_supported": strings(["ES256"]),
            "token_endpoint_auth_methods_supported": strings(clientAuthenticationMethods),
            "token_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
            "code_challenge_methods_supported": strings(["S256"]),
            "dpop_signing_alg_values_supported": strings(["ES256"]),
            "authorization_response_iss_parameter_supported": .bool(true),
            "prompt_values_supported": strings(["none", "login", "consent", "select_account"]),
            "revocation_endpoint_auth_methods_supported": strings(clientAuthenticationMethods),
            "revocation_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
            "introspection_endpoint_auth_methods_supported": strings(clientAuthenticationMethods),
            "introspection_endpoint_auth_signing_alg_values_supported": strings(["ES256"]),
        ])
    }

    /// How clients may authenticate at every endpoint that authenticates them: `client_secret_basic`
    /// only while development clients are allowed (``OpenIDSettings/allowsDevelopmentClients``).
    private var clientAuthenticationMethods: [String] {
        ["private_key_jwt"] + (settings.allowsDevelopmentClients ? ["client_secret_basic"] : [])
    }

    /// Verifies an ID token this provider issued for `audience`: signature by a published key
    /// (``SmartNationError/Code/oauthIDTokenSignatureInvalid`` when altered or signed by another key),
    /// then issuer, audience and expiry (``SmartNationError/Code/oauthIDTokenInvalid``). A refusal is
    /// audited as ``OAuthRequestRejected`` at endpoint `id_token_verification`, naming `audience`.
    public func verifyIDToken(_ token: String, audience: String) async throws(SmartNationError) -> IDTokenClaims {
        try await audited(endpoint: "id_token_verification", clientID: audience) { () async throws(SmartNationError) in
            let claims = try await signingKeys.verify(token, as: IDTokenClaims.self)
            guard claims.issuer == settings.issuer, claims.audience == audience,
                  TimeInterval(claims.expiresAt) > clock().timeIntervalSince1970 else {
                throw .oauth(.oauthIDTokenInvalid, "invalid_token", "the ID token is for another issuer or audience, or has expired")
            }
            return claims
        }
    }

    /// Deletes what can no longer be used, an hour after it could: expired pushed requests, device
    /// codes, spent `jti`s and tokens, codes never redeemed, and grants revoked or past
    /// ``OpenIDSettings/grantLifetime`` with their codes. A redeemed code is kept as long as its grant,
    /// so presenting it again still revokes the tokens it issued. Returns how many rows went.
    @discardableResult
    public func pruneExpired() async throws(SmartNationError) -> Int {
        let cutoff = clock().timeIntervalSince1970 - 3600
        let endedGrants = "SELECT grant_id FROM oidc_grant WHERE auth_time < ? OR revoked_at < ?"
        let endedArguments: StatementArguments = [cutoff - settings.grantLifetime, cutoff]
        do {
            return try await database.write { db in
                var removed = try ReplayGuard.pruneLog(before: cutoff, in: db)
                let deletions: [(String, StatementArguments)] = [
                    ("DELETE FROM oidc_pushed_request WHERE expires_at < ?", [cutoff]),
                    ("DELETE FROM oidc_device_authorization WHERE expires_at < ?", [cutoff]),
                    ("DELETE FROM oidc_token WHERE expires_at < ? OR grant_id IN (\(endedGrants))", [cutoff] + endedArguments),
                    ("DELETE FROM oidc_authorization_code WHERE expires_at < ? AND used_at IS NULL", [cutoff]),
                    ("DELETE FROM oidc_authorization_code WHERE grant_id IN (\(endedGrants))", endedArguments),
                    ("DELETE FROM oidc_grant WHERE grant_id IN (\(endedGrants))", endedArguments),
                ]
                for (sql, arguments) in deletions {
                    try db.execute(sql: sql, arguments: arguments)
                    removed += db.changesCount
                }
                return removed
            }
        } catch {
            throw .storage(error)
        }
    }

    /// Runs `body`, the HTTP edge's reading of a request for `endpoint` (its form, credentials and
    /// proof headers), auditing a refusal as ``OAuthRequestRejected`` as the provider's own are.
    public func auditingRefusals<Result: Sendable>(
        endpoint: String, _ body: () async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        try await audited(endpoint: endpoint, clientID: nil, body)
    }

    func audited<Result: Sendable>(
        endpoint: String, clientID: String?, _ body: () async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        try await audited(endpoint: endpoint, clientID: clientID) { (_: inout RequestAudit) async throws(SmartNationError) in try await body() }
    }

    /// The audited run (with a ``RequestAudit``) for an endpoint that authenticates its client: a refusal names the client the request claims to be until `body` has authenticated
    /// it (``authenticate(_:recordingIn:)``), and that client afterwards.
    func audited<Result: Sendable>(
        endpoint: String, credentials: ClientCredentials, _ body: (inout RequestAudit) async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        try await audited(endpoint: endpoint, clientID: credentials.basic?.clientID ?? credentials.clientID, body)
    }

    /// The client `credentials` prove, with its assertion's `jti` claimed, recorded in `audit` as
    /// the client a refusal names from now on.
    func authenticate(_ credentials: ClientCredentials, recordingIn audit: inout RequestAudit) async throws(SmartNationError) -> OpenIDClient {
        let client = try await authenticator.authenticate(credentials)
        audit.clientID = client.clientID
        return client
    }

    /// Runs `body`, which collects in a ``RequestAudit`` the request's single-use `jti`s as it
    /// verifies them and the client once authenticated; when it refuses the request, writes
    /// ``OAuthRequestRejected`` (naming that client, or else `clientID` as the request claimed it)
    /// and claims those `jti`s in one transaction (so a refused assertion or proof is spent too), and
    /// rethrows.
    func audited<Result: Sendable>(
        endpoint: String, clientID: String?, _ body: (inout RequestAudit) async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        var audit = RequestAudit(clientID: clientID.flatMap(Self.auditableClientID))
        do {
            return try await body(&audit)
        } catch {
            guard error.httpStatus < 500 else { throw error }
            let event = try CloudEvent(
                OAuthRequestRejected(endpoint: endpoint, code: error.code.rawValue, clientID: audit.clientID),
                source: identityEventSource, time: clock())
            let spent = audit.replayKeys
            do {
                try await database.write { db in
                    _ = try replayGuard.claim(spent, in: db)
                    try Outbox.enqueue(event, in: db)
                }
            } catch {
                throw .storage(error)
            }
            throw error
        }
    }

    /// `clientID` as a refusal's audit event records it: unauthenticated input, so only when it could
    /// be a client id — at most 64 bytes of printable ASCII, as ``ClientRegistry`` looks up — and
    /// otherwise not at all, so a refused request cannot write kilobytes into the outbox.
    static func auditableClientID(_ clientID: String) -> String? {
        let bytes = clientID.utf8
        guard !bytes.isEmpty, bytes.count <= 64, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return clientID
    }

    /// The refusal of a client holding ``OpenIDSettings/pendingPerClientMax`` pending `what`.
    static func pendingLimitReached(_ what: String) -> SmartNationError {
        .oauth(.oauthPendingLimitReached, "invalid_request", httpStatus: 429, "this client has too many \(what) pending; use or let some expire")
    }
}
