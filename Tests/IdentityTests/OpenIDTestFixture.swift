import Crypto
import Foundation
import GRDB
import SmartNationCore

@testable import Identity

/// Compact JWS (ES256) written by hand with swift-crypto, independent of the provider's jwt-kit
/// code: what a client library sends.
enum TestJWS {
    static func sign(header: [String: Any], claims: [String: Any], key: P256.Signing.PrivateKey) throws -> String {
        let headerPart = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]).base64URLEncoded
        let claimsPart = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]).base64URLEncoded
        let input = headerPart + "." + claimsPart
        let signature = try key.signature(for: Data(input.utf8)).rawRepresentation.base64URLEncoded
        return input + "." + signature
    }

    static func publicJWK(_ key: P256.Signing.PrivateKey) -> [String: Any] {
        let raw = key.publicKey.rawRepresentation
        return ["kty": "EC", "crv": "P-256", "x": Data(raw.prefix(32)).base64URLEncoded, "y": Data(raw.suffix(32)).base64URLEncoded]
    }
}

/// An integrator's keys: the client key for `private_key_jwt` and a DPoP key.
struct TestClientKeys {
    let clientKey = P256.Signing.PrivateKey()
    let dpopKey = P256.Signing.PrivateKey()

    var jwks: String {
        var jwk = TestJWS.publicJWK(clientKey)
        jwk["kid"] = "client-key-1"
        jwk["use"] = "sig"
        let data = try! JSONSerialization.data(withJSONObject: ["keys": [jwk]])
        return String(decoding: data, as: UTF8.self)
    }

    func assertion(
        clientID: String, audience: String, now: Date, lifetime: TimeInterval = 60, jti: String = UUID().uuidString,
        key: P256.Signing.PrivateKey? = nil
    ) throws -> String {
        let issuedAt = Int(now.timeIntervalSince1970)
        return try TestJWS.sign(
            header: ["alg": "ES256", "typ": "JWT", "kid": "client-key-1"],
            claims: ["iss": clientID, "sub": clientID, "aud": audience, "iat": issuedAt, "exp": issuedAt + Int(lifetime), "jti": jti],
            key: key ?? clientKey)
    }

    func dpopProof(method: String = "POST", url: String, now: Date, accessToken: String? = nil, jti: String = UUID().uuidString, key: P256.Signing.PrivateKey? = nil) throws -> String {
        let signingKey = key ?? dpopKey
        var claims: [String: Any] = ["jti": jti, "htm": method, "htu": url, "iat": Int(now.timeIntervalSince1970)]
        if let accessToken { claims["ath"] = RandomToken.hashBase64URL(accessToken) }
        return try TestJWS.sign(header: ["alg": "ES256", "typ": "dpop+jwt", "jwk": TestJWS.publicJWK(signingKey)], claims: claims, key: signingKey)
    }
}

/// A provider over a fresh identity database with one citizen and one FAPI client.
struct OpenIDTestFixture {
    static let issuer = "https://id.test.sg"
    static let redirectURI = "https://app.test.sg/callback"
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    let environment: IdentityTestEnvironment
    let sealer: SecretSealer
    let provider: OpenIDProvider
    let keys: TestClientKeys
    let client: OpenIDClient

    var clock: ManualClock { environment.clock }
    var subject: String { environment.subject }
    var database: DatabasePool { environment.database }
    var settings: OpenIDSettings { provider.settings }

    /// A provider over a fresh database with one citizen and one `private_key_jwt` client;
    /// development clients are allowed, for the tests of `client_secret_basic`; `adjust` changes
    /// any other setting.
    static func make(adjusting adjust: (inout OpenIDSettings) -> Void = { _ in }) async throws -> OpenIDTestFixture {
        let environment = try await IdentityTestEnvironment.make(
            registering: CitizenRegistration(
                nric: "S1234567D", name: "Tan Ah Kow", dateOfBirth: "1980-01-31", sex: .male, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "1", street: "Orchard Road", unit: "#01-01", postalCode: "238801"),
                email: "ahkow@example.sg"))
        let clock = environment.clock
        let sealer = SecretSealer.random()
        var settings = OpenIDSettings(issuer: issuer)
        settings.allowsDevelopmentClients = true
        adjust(&settings)
        let provider = try await OpenIDProvider(
            settings: settings, database: environment.database, citizens: environment.registry, sealer: sealer, clock: { clock.now })
        let keys = TestClientKeys()
        let client = try await provider.clients.register(
            ClientRegistration(name: "HDB Portal", redirectURIs: [redirectURI], scopes: ["openid", "name", "uinfin", "email"], jwks: keys.jwks)
        ).client
        return OpenIDTestFixture(environment: environment, sealer: sealer, provider: provider, keys: keys, client: client)
    }

    func remove() { environment.remove() }

    func credentials(lifetime: TimeInterval = 60, audience: String = issuer, jti: String = UUID().uuidString) throws -> ClientCredentials {
        ClientCredentials(
            assertionType: ClientAuthenticator.jwtBearerAssertionType,
            assertion: try keys.assertion(clientID: client.clientID, audience: audience, now: clock.now, lifetime: lifetime, jti: jti))
    }

    func parForm(scope: String = "openid name uinfin", redirectURI: String = redirectURI, challenge: String? = challenge) -> [String: String] {
        var form = ["response_type": "code", "client_id": client.clientID, "redirect_uri": redirectURI, "scope": scope,
                    "state": "state-123", "nonce": "nonce-456", "code_challenge_method": "S256"]
        form["code_challenge"] = challenge
        return form
    }

    /// PAR, then the citizen decides (approving everything unless told otherwise): the redirect's query items.
    func authorize(scope: String = "openid name uinfin", decision: ConsentDecision = .approveAll) async throws -> [String: String] {
        let pushed = try await provider.pushAuthorizationRequest(form: parForm(scope: scope), credentials: credentials(), dpopProof: nil)
        let redirect = try await provider.completeAuthorization(
            clientID: client.clientID, requestURI: pushed.requestURI, subject: subject, methods: ["pwd", "otp"],
            authenticatedAt: clock.now, decision: decision)
        return Self.query(of: redirect)
    }

    /// The token request form of the authorization code grant for `code`.
    static func codeForm(_ code: String, verifier: String = verifier) -> [String: String] {
        ["grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "code_verifier": verifier]
    }

    func exchange(code: String, verifier: String = verifier) async throws -> TokenResponse {
        try await provider.token(
            form: Self.codeForm(code, verifier: verifier),
            credentials: credentials(), dpopProof: keys.dpopProof(url: settings.tokenEndpoint, now: clock.now))
    }

    /// The refresh grant for `token`, with a fresh assertion and DPoP proof.
    func refresh(_ token: String) async throws -> TokenResponse {
        try await provider.token(
            form: ["grant_type": "refresh_token", "refresh_token": token], credentials: credentials(),
            dpopProof: keys.dpopProof(url: settings.tokenEndpoint, now: clock.now))
    }

    func userinfo(_ token: String) async throws -> JSONValue {
        try await provider.userinfo(PresentedAccessToken(
            scheme: "DPoP", token: token,
            dpop: DPoPEvidence(proof: try keys.dpopProof(method: "GET", url: settings.userinfoEndpoint, now: clock.now, accessToken: token),
                               method: "GET", url: settings.userinfoEndpoint)))
    }

    func count(_ table: String) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    func rejectionCodes() async throws -> [String] {
        try await rejections().map(\.code)
    }

    /// The refusals audited so far, oldest first.
    func rejections() async throws -> [OAuthRequestRejected] {
        try await database.read { db in
            try Data.fetchAll(db, sql: "SELECT envelope FROM outbox_event ORDER BY sequence").compactMap { envelope in
                let event = try CloudEventCoding.decode(Array(envelope))
                guard event.type == OAuthRequestRejected.eventType else { return nil }
                return try event.decodeData(as: OAuthRequestRejected.self)
            }
        }
    }

    static func query(of url: String) -> [String: String] {
        var items: [String: String] = [:]
        for item in URLComponents(string: url)?.queryItems ?? [] { items[item.name] = item.value }
        return items
    }
}

/// Runs `body` and returns the code of the ``SmartNationError`` it throws (or `nil`).
func errorCode(_ body: () async throws -> Void) async -> SmartNationError.Code? {
    do {
        try await body()
        return nil
    } catch let error as SmartNationError {
        return error.code
    } catch {
        return nil
    }
}
