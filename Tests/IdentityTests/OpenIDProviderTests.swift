import Crypto
import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("OpenID provider: PAR, code, tokens, userinfo")
struct OpenIDProviderTests {
    @Test("the FAPI 2.0 flow end to end: PAR, consent, code with iss and state, DPoP-bound tokens, ID token, userinfo")
    func fullFlow() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let response = try await fixture.authorize()
        #expect(response["iss"] == OpenIDTestFixture.issuer)
        #expect(response["state"] == "state-123")
        let code = try #require(response["code"])

        let tokens = try await fixture.exchange(code: code)
        #expect(tokens.tokenType == "DPoP")
        #expect(tokens.scope == "openid name uinfin")
        let claims = try await fixture.provider.verifyIDToken(tokens.idToken, audience: fixture.client.clientID)
        #expect(claims.subject == fixture.subject)
        #expect(claims.audience == fixture.client.clientID)
        #expect(claims.issuer == OpenIDTestFixture.issuer)
        #expect(claims.nonce == "nonce-456")
        #expect(claims.authenticationMethods == ["pwd", "otp"])
        #expect(Set(claims.attributes.keys) == ["name", "uinfin"])
        #expect(claims.attributes["uinfin"]?["value"]?.stringValue == "S1234567D")
        #expect(!tokens.idToken.contains("S1234567D"), "the NRIC is only inside the consented claim, base64url-encoded")

        let info = try await fixture.userinfo(tokens.accessToken)
        #expect(info["sub"]?.stringValue == fixture.subject)
        #expect(info["name"]?["value"]?.stringValue == "Tan Ah Kow")
        #expect(info["email"] == nil, "email was not asked for, so not consented")
        #expect(try await fixture.rejectionCodes().isEmpty)
    }

    @Test("a redirect keeps the registered URI's own query as registered and adds the response's parameters form-encoded")
    func redirectKeepsRegisteredQuery() {
        #expect(OpenIDProvider.redirect("https://app.test.sg/cb?tenant=a+b&flag", [("code", "x/y"), ("state", "s t")])
            == "https://app.test.sg/cb?tenant=a+b&flag&code=x%2Fy&state=s%20t")
        #expect(OpenIDProvider.redirect("https://app.test.sg/cb", [("error", "access_denied"), ("iss", "https://id.test.sg")])
            == "https://app.test.sg/cb?error=access_denied&iss=https%3A%2F%2Fid.test.sg")
    }

    @Test("the subject is a stable opaque identifier, never the NRIC")
    func subjectIsOpaque() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let first = try await fixture.exchange(code: try #require(try await fixture.authorize(scope: "openid")["code"]))
        let second = try await fixture.exchange(code: try #require(try await fixture.authorize(scope: "openid")["code"]))
        let a = try await fixture.provider.verifyIDToken(first.idToken, audience: fixture.client.clientID)
        let b = try await fixture.provider.verifyIDToken(second.idToken, audience: fixture.client.clientID)
        #expect(a.subject == b.subject)
        #expect(UUID(uuidString: a.subject) != nil)
        #expect(a.attributes.isEmpty)
    }

    @Test("a reused authorization code is refused and revokes the tokens it issued")
    func codeReuse() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        let tokens = try await fixture.exchange(code: code)
        #expect(await errorCode { _ = try await fixture.exchange(code: code) } == .oauthCodeReused)
        #expect(await errorCode { _ = try await fixture.userinfo(tokens.accessToken) } == .oauthAccessTokenInvalid)
        let refresh = ["grant_type": "refresh_token", "refresh_token": tokens.refreshToken]
        #expect(await errorCode {
            _ = try await fixture.provider.token(
                form: refresh, credentials: try fixture.credentials(),
                dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .oauthRefreshTokenInvalid)
        #expect(try await fixture.rejectionCodes() == ["identity.oauth.code_reused", "identity.oauth.access_token_invalid", "identity.oauth.refresh_token_invalid"])
    }

    @Test("a PKCE mismatch is refused and leaves the code usable with the right verifier")
    func pkceMismatch() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        #expect(await errorCode { _ = try await fixture.exchange(code: code, verifier: String(repeating: "a", count: 43)) } == .oauthPKCEMismatch)
        #expect(try await fixture.count("oidc_token") == 0)
        #expect(try await fixture.rejectionCodes() == [SmartNationError.Code.oauthPKCEMismatch.rawValue], "the refusal is audited")
        _ = try await fixture.exchange(code: code)
    }

    @Test("an expired code, a code for another redirect URI and an unknown code are refused")
    func codeChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        let wrongRedirect = ["grant_type": "authorization_code", "code": code, "redirect_uri": "https://app.test.sg/other",
                             "code_verifier": OpenIDTestFixture.verifier]
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: wrongRedirect, credentials: try fixture.credentials(),
                                                 dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .oauthCodeInvalid)
        #expect(await errorCode { _ = try await fixture.exchange(code: "not-a-code") } == .oauthCodeInvalid)
        fixture.clock.advance(by: 61)
        #expect(await errorCode { _ = try await fixture.exchange(code: code) } == .oauthCodeInvalid)
        #expect(try await fixture.count("oidc_token") == 0)
    }

    @Test("refresh tokens rotate; presenting a spent one revokes the whole family")
    func refreshRotation() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let first = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let second = try await fixture.refresh(first.refreshToken)
        #expect(second.refreshToken != first.refreshToken)
        _ = try await fixture.userinfo(second.accessToken)
        #expect(await errorCode { _ = try await fixture.refresh(first.refreshToken) } == .oauthRefreshTokenReused)
        #expect(await errorCode { _ = try await fixture.refresh(second.refreshToken) } == .oauthRefreshTokenInvalid)
        #expect(await errorCode { _ = try await fixture.userinfo(second.accessToken) } == .oauthAccessTokenInvalid)
        #expect(try await fixture.rejectionCodes()
            == ([.oauthRefreshTokenReused, .oauthRefreshTokenInvalid, .oauthAccessTokenInvalid] as [SmartNationError.Code]).map(\.rawValue), "each refusal is audited")
    }

    @Test("tokens are stored by time-ordered key; a token stored by its plain hash, as before v12, still works")
    func tokenStorageKeys() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let stored = try await fixture.database.read { db in try Data.fetchAll(db, sql: "SELECT token_key FROM oidc_token ORDER BY kind") }
        #expect(stored == [RandomToken.storageKey(tokens.accessToken), RandomToken.storageKey(tokens.refreshToken)])
        #expect(stored.allSatisfy { $0.count == 40 })

        let legacyAccess = RandomToken.make(byteCount: 32)
        let legacyRefresh = RandomToken.make(byteCount: 32)
        try await fixture.database.write { db in
            for (token, kind) in [(legacyAccess, "access"), (legacyRefresh, "refresh")] {
                try db.execute(sql: """
                    INSERT INTO oidc_token (token_key, kind, grant_id, jkt, issued_at, expires_at)
                    SELECT ?, ?, grant_id, jkt, issued_at, expires_at FROM oidc_token WHERE token_key = ?
                    """, arguments: [RandomToken.hash(token), kind, RandomToken.storageKey(tokens.accessToken)])
            }
        }
        _ = try await fixture.userinfo(legacyAccess)
        let refreshed = try await fixture.provider.token(
            form: ["grant_type": "refresh_token", "refresh_token": legacyRefresh], credentials: try fixture.credentials(),
            dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        #expect(refreshed.refreshToken.utf8.count == 54)
    }

    @Test("replacing a client's keys: assertions by the old key are refused from then on, by the new one accepted; bad replacements change nothing")
    func clientKeyReplacement() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let clientID = fixture.client.clientID
        _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: nil)
        let replacement = TestClientKeys()
        let replacementJWKS = replacement.jwks
        func credentials(signedBy key: P256.Signing.PrivateKey) throws -> ClientCredentials {
            ClientCredentials(
                assertionType: ClientAuthenticator.jwtBearerAssertionType,
                assertion: try fixture.keys.assertion(clientID: clientID, audience: OpenIDTestFixture.issuer, now: fixture.clock.now, key: key))
        }
        #expect(await errorCode { _ = try await fixture.provider.clients.replaceKeys(id: clientID, jwks: #"{"keys":[]}"#) } == .oauthClientMetadataInvalid)
        #expect(await errorCode { _ = try await fixture.provider.clients.replaceKeys(id: "sn-unknown", jwks: replacementJWKS) } == .oauthClientUnknown)
        let developer = try await fixture.provider.clients.register(
            ClientRegistration(name: "Dev", redirectURIs: ["http://127.0.0.1:9000/cb"], scopes: ["openid"], jwks: nil, dpopBoundAccessTokens: false))
        #expect(await errorCode {
            _ = try await fixture.provider.clients.replaceKeys(id: developer.client.clientID, jwks: replacementJWKS)
        } == .oauthClientMetadataInvalid)
        _ = try await fixture.provider.pushAuthorizationRequest(
            form: fixture.parForm(), credentials: try credentials(signedBy: fixture.keys.clientKey), dpopProof: nil)

        let updated = try await fixture.provider.clients.replaceKeys(id: clientID, jwks: replacementJWKS)
        #expect(updated.authentication == .privateKeyJWT(jwks: replacementJWKS))
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(
                form: fixture.parForm(), credentials: try credentials(signedBy: fixture.keys.clientKey), dpopProof: nil)
        } == .oauthClientAssertionSignature, "the old key, whose parsed form was cached, no longer authenticates")
        _ = try await fixture.provider.pushAuthorizationRequest(
            form: fixture.parForm(), credentials: try credentials(signedBy: replacement.clientKey), dpopProof: nil)
        let reopened = try await OpenIDProvider(
            settings: fixture.settings, database: fixture.database, citizens: fixture.environment.registry, sealer: fixture.sealer)
        #expect(try await reopened.clients.client(id: clientID)?.authentication == .privateKeyJWT(jwks: replacementJWKS), "stored, not only cached")
    }

    @Test("revocation: an access token alone, a refresh token with its grant; introspection reports it")
    func revocationAndIntrospection() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let active = try await fixture.provider.introspect(form: ["token": tokens.accessToken], credentials: try fixture.credentials())
        #expect(active["active"] == .bool(true))
        #expect(active["sub"]?.stringValue == fixture.subject)
        #expect(active["token_type"]?.stringValue == "DPoP")
        #expect(active["cnf"]?["jkt"]?.stringValue == JWKThumbprint.of(fixture.keys.dpopKey.publicKey))

        try await fixture.provider.revoke(form: ["token": tokens.accessToken], credentials: try fixture.credentials())
        #expect(try await fixture.provider.introspect(form: ["token": tokens.accessToken], credentials: try fixture.credentials())["active"] == .bool(false))
        #expect(try await fixture.provider.introspect(form: ["token": tokens.refreshToken], credentials: try fixture.credentials())["active"] == .bool(true))
        try await fixture.provider.revoke(form: ["token": tokens.refreshToken], credentials: try fixture.credentials())
        #expect(try await fixture.provider.introspect(form: ["token": tokens.refreshToken], credentials: try fixture.credentials())["active"] == .bool(false))
        try await fixture.provider.revoke(form: ["token": "unknown"], credentials: try fixture.credentials())
        try await fixture.provider.revoke(form: ["token": String(repeating: "x", count: 4096)], credentials: try fixture.credentials())
        #expect(await errorCode { try await fixture.provider.revoke(form: [:], credentials: try fixture.credentials()) } == .oauthRequestInvalid)
    }

    @Test("discovery names every endpoint and the FAPI 2.0 requirements")
    func discovery() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let document = fixture.provider.discoveryDocument
        #expect(document["issuer"]?.stringValue == OpenIDTestFixture.issuer)
        #expect(document["pushed_authorization_request_endpoint"]?.stringValue == "https://id.test.sg/oauth2/par")
        #expect(document["require_pushed_authorization_requests"] == .bool(true))
        #expect(document["code_challenge_methods_supported"] == .array([.string("S256")]))
        #expect(document["authorization_response_iss_parameter_supported"] == .bool(true))
    }
}
