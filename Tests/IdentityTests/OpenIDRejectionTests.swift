import Crypto
import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("OpenID provider: bad input is refused, audited, and changes nothing")
struct OpenIDRejectionTests {
    @Test("PAR refuses unregistered redirect URIs, missing PKCE, other response types and disallowed scopes")
    func pushedRequestChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        var implicit = fixture.parForm()
        implicit["response_type"] = "token"
        var plainPKCE = fixture.parForm()
        plainPKCE["code_challenge_method"] = "plain"
        let cases: [([String: String], SmartNationError.Code)] = [
            (fixture.parForm(redirectURI: "https://app.test.sg/callback/"), .oauthRedirectURIUnregistered),
            (fixture.parForm(redirectURI: "https://evil.example/callback"), .oauthRedirectURIUnregistered),
            (fixture.parForm(challenge: nil), .oauthPKCERequired),
            (fixture.parForm(challenge: "too-short"), .oauthPKCERequired),
            (plainPKCE, .oauthPKCERequired),
            (implicit, .oauthResponseTypeUnsupported),
            (fixture.parForm(scope: "openid regadd"), .oauthScopeInvalid),
            (fixture.parForm(scope: "name"), .oauthScopeInvalid),
            (fixture.parForm(scope: "openid shoe_size"), .oauthScopeInvalid),
        ]
        for (form, expected) in cases {
            #expect(await errorCode {
                _ = try await fixture.provider.pushAuthorizationRequest(form: form, credentials: try fixture.credentials(), dpopProof: nil)
            } == expected)
        }
        #expect(try await fixture.count("oidc_pushed_request") == 0)
        #expect(try await fixture.rejectionCodes() == cases.map(\.1.rawValue))
    }

    @Test("a request_uri works once, for its own client, before it expires; the authorization endpoint requires one")
    func requestURIChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let clientID = fixture.client.clientID
        #expect(await errorCode { _ = try await fixture.provider.pendingAuthorization(clientID: clientID, requestURI: nil) } == .oauthPushedRequestRequired)
        let pushed = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: nil)
        #expect(await errorCode { _ = try await fixture.provider.pendingAuthorization(clientID: "sn-other", requestURI: pushed.requestURI) } == .oauthRequestURIInvalid)
        let pending = try await fixture.provider.pendingAuthorization(clientID: clientID, requestURI: pushed.requestURI)
        #expect(try await fixture.provider.attributesNeedingConsent(pending, subject: fixture.subject) == [.name, .uinfin])
        let denied = try await fixture.provider.completeAuthorization(
            clientID: clientID, requestURI: pushed.requestURI, subject: fixture.subject, methods: ["pwd"], authenticatedAt: fixture.clock.now, decision: .deny)
        #expect(OpenIDTestFixture.query(of: denied) == ["error": "access_denied", "state": "state-123", "iss": OpenIDTestFixture.issuer])
        #expect(await errorCode { _ = try await fixture.provider.pendingAuthorization(clientID: clientID, requestURI: pushed.requestURI) } == .oauthRequestURIInvalid)

        let late = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: nil)
        fixture.clock.advance(by: fixture.settings.pushedRequestLifetime + 1)
        #expect(await errorCode { _ = try await fixture.provider.pendingAuthorization(clientID: clientID, requestURI: late.requestURI) } == .oauthRequestURIInvalid)
        #expect(try await fixture.count("oidc_consent") == 0)
    }

    @Test("client assertions: wrong audience, too long-lived, expired, replayed, wrong key, tampered, missing, dates at the ends of Int64")
    func clientAssertionChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let now = fixture.clock.now
        let clientID = fixture.client.clientID
        let valid = try fixture.keys.assertion(clientID: clientID, audience: OpenIDTestFixture.issuer, now: now)
        var tampered = valid
        tampered.removeLast(2)
        tampered += tampered.hasSuffix("A") ? "BA" : "AA"
        let jwtBearer = ClientAuthenticator.jwtBearerAssertionType
        let cases: [(ClientCredentials, SmartNationError.Code)] = [
            (try fixture.credentials(audience: fixture.settings.tokenEndpoint), .oauthClientAssertionAudience),
            (try fixture.credentials(lifetime: 3600), .oauthClientAssertionExpired),
            (ClientCredentials(assertionType: jwtBearer, assertion: try fixture.keys.assertion(
                clientID: clientID, audience: OpenIDTestFixture.issuer, now: now.addingTimeInterval(-200))), .oauthClientAssertionExpired),
            (ClientCredentials(assertionType: jwtBearer, assertion: try fixture.keys.assertion(
                clientID: clientID, audience: OpenIDTestFixture.issuer, now: now, key: P256.Signing.PrivateKey())), .oauthClientAssertionSignature),
            (ClientCredentials(assertionType: jwtBearer, assertion: tampered), .oauthClientAssertionSignature),
            (ClientCredentials(assertionType: jwtBearer, assertion: "not.a.jwt"), .oauthClientAssertionSignature),
            (ClientCredentials(assertionType: jwtBearer, assertion: try fixture.keys.assertion(
                clientID: "sn-unknown", audience: OpenIDTestFixture.issuer, now: now)), .oauthClientUnknown),
            (ClientCredentials(clientID: clientID), .oauthClientAuthenticationMissing),
            (ClientCredentials(basic: (clientID, "guess")), .oauthClientAuthenticationMissing),
            (ClientCredentials(assertionType: jwtBearer, assertion: try TestJWS.sign(
                header: ["alg": "ES256", "typ": "JWT", "kid": "client-key-1"],
                claims: ["iss": clientID, "sub": clientID, "aud": OpenIDTestFixture.issuer, "iat": -1, "exp": Int64.max, "jti": "far"],
                key: fixture.keys.clientKey)), .oauthClientAssertionExpired),
            (ClientCredentials(assertionType: jwtBearer, assertion: try TestJWS.sign(
                header: ["alg": "ES256", "typ": "JWT", "kid": "client-key-1"],
                claims: ["iss": clientID, "sub": clientID, "aud": OpenIDTestFixture.issuer, "iat": Int(now.timeIntervalSince1970),
                         "nbf": Int(now.timeIntervalSince1970) + 60, "exp": Int(now.timeIntervalSince1970) + 90, "jti": "not-yet"],
                key: fixture.keys.clientKey)), .oauthClientAssertionExpired),
            (ClientCredentials(assertionType: jwtBearer, assertion: try TestJWS.sign(
                header: ["alg": "ES256", "typ": "JWT", "kid": "client-key-1", "crit": ["exp"], "exp": 1],
                claims: ["iss": clientID, "sub": clientID, "aud": OpenIDTestFixture.issuer, "iat": Int(now.timeIntervalSince1970),
                         "exp": Int(now.timeIntervalSince1970) + 60, "jti": "critical"],
                key: fixture.keys.clientKey)), .oauthClientAssertionSignature),
        ]
        for (credentials, expected) in cases {
            #expect(await errorCode {
                _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: credentials, dpopProof: nil)
            } == expected)
        }
        let once = try fixture.credentials(jti: "only-once")
        _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: once, dpopProof: nil)
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: once, dpopProof: nil)
        } == .oauthClientAssertionReplayed)
        #expect(try await fixture.count("oidc_pushed_request") == 1)

        let code = try #require(try await fixture.authorize()["code"])
        for (credentials, expected) in cases.prefix(2) {
            #expect(await errorCode {
                _ = try await fixture.provider.token(
                    form: OpenIDTestFixture.codeForm(code), credentials: credentials,
                    dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
            } == expected, "the token endpoint checks assertions as PAR does")
        }
        #expect(try await fixture.count("oidc_token") == 0)
        #expect(try await fixture.rejectionCodes()
            == (cases.map(\.1) + [.oauthClientAssertionReplayed] + cases.prefix(2).map(\.1)).map(\.rawValue), "every refusal is audited with its code")
        _ = try await fixture.exchange(code: code)
    }

    @Test("a refusal after the client authenticated names that client, though the form carried no client_id")
    func auditedClientIsTheAuthenticatedOne() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        #expect(await errorCode { _ = try await fixture.exchange(code: code, verifier: String(repeating: "x", count: 43)) } == .oauthPKCEMismatch)
        #expect(await errorCode {
            _ = try await fixture.provider.introspect(form: [:], credentials: try fixture.credentials())
        } == .oauthRequestInvalid)
        let rejections = try await fixture.rejections()
        #expect(rejections.map(\.code) == [SmartNationError.Code.oauthPKCEMismatch, .oauthRequestInvalid].map(\.rawValue))
        #expect(rejections.map(\.clientID) == [fixture.client.clientID, fixture.client.clientID])
    }

    @Test("a refusal's audit event names the client only when the request's client_id could be one")
    func auditedClientIDIsBounded() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let named = ["sn-unknown", String(repeating: "x", count: 5_000), "sn-\u{1}\u{1}", "sn-客户"]
        for clientID in named {
            #expect(await errorCode {
                _ = try await fixture.provider.pushAuthorizationRequest(
                    form: fixture.parForm(), credentials: ClientCredentials(clientID: clientID), dpopProof: nil)
            } != nil)
        }
        #expect(try await fixture.rejections().map(\.clientID) == ["sn-unknown", nil, nil, nil])
    }

    @Test("DPoP htu: the endpoint's URL in any RFC 3986 normal form names it; another host, port, path or scheme does not")
    func dpopTargetNormalisation() {
        let endpoint = "https://id.test.sg/oauth2/token"
        for same in [endpoint, "HTTPS://ID.Test.SG/oauth2/token", "https://id.test.sg:443/oauth2/token", "https://id.test.sg/oauth2/%74oken",
                     "https://id.test.sg/oauth2/token?x=1", "https://id.test.sg/oauth2/token#f"] {
            #expect(DPoPVerifier.sameTarget(same, as: endpoint), "\(same)")
        }
        #expect(DPoPVerifier.sameTarget("https://id.test.sg", as: "https://id.test.sg/"))
        #expect(DPoPVerifier.sameTarget("https://id.test.sg/a%2fb", as: "https://id.test.sg/a%2Fb"), "escapes of reserved characters differ only in case")
        for other in ["https://id.test.sg:8443/oauth2/token", "https://id.test.sg/oauth2/Token", "http://id.test.sg/oauth2/token",
                      "https://id.test.sg.evil.example/oauth2/token", "https://user@id.test.sg/oauth2/token", "https://id.test.sg/oauth2/token/",
                      "https://id.test.sg/oauth2/to%2Fken", "not a url", ""] {
            #expect(!DPoPVerifier.sameTarget(other, as: endpoint), "\(other)")
        }
    }

    @Test("DPoP: required for a bound client; wrong URL, replayed proof, foreign key and missing ath are refused")
    func dpopChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        let form = OpenIDTestFixture.codeForm(code)
        let now = fixture.clock.now
        #expect(await errorCode { _ = try await fixture.provider.token(form: form, credentials: try fixture.credentials(), dpopProof: nil) } == .oauthDPoPProofInvalid)
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: form, credentials: try fixture.credentials(),
                                                 dpopProof: try fixture.keys.dpopProof(url: "https://elsewhere.example/token", now: now))
        } == .oauthDPoPProofInvalid)
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: form, credentials: try fixture.credentials(),
                                                 dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: now.addingTimeInterval(-300)))
        } == .oauthDPoPProofInvalid)
        let proof = try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: now, jti: "proof-1")
        let tokens = try await fixture.provider.token(form: form, credentials: try fixture.credentials(), dpopProof: proof)
        let refresh = ["grant_type": "refresh_token", "refresh_token": tokens.refreshToken]
        #expect(await errorCode { _ = try await fixture.provider.token(form: refresh, credentials: try fixture.credentials(), dpopProof: proof) } == .oauthDPoPProofReplayed)

        let url = fixture.settings.userinfoEndpoint
        let foreign = try fixture.keys.dpopProof(method: "GET", url: url, now: now, accessToken: tokens.accessToken, key: P256.Signing.PrivateKey())
        #expect(await errorCode {
            _ = try await fixture.provider.userinfo(PresentedAccessToken(scheme: "DPoP", token: tokens.accessToken, dpop: DPoPEvidence(proof: foreign, method: "GET", url: url)))
        } == .oauthDPoPKeyMismatch)
        let withoutATH = try fixture.keys.dpopProof(method: "GET", url: url, now: now)
        let refusedAtResource = await #expect(throws: SmartNationError.self) {
            _ = try await fixture.provider.userinfo(PresentedAccessToken(scheme: "DPoP", token: tokens.accessToken, dpop: DPoPEvidence(proof: withoutATH, method: "GET", url: url)))
        }
        #expect(refusedAtResource?.code == .oauthDPoPProofInvalid)
        #expect(refusedAtResource?.httpStatus == 401, "a protected resource answers a refused proof with 401 and a DPoP challenge (RFC 9449 §7.1)")
        #expect(refusedAtResource?.parameters["oauth_error"] == "invalid_dpop_proof")
        #expect(await errorCode {
            _ = try await fixture.provider.userinfo(PresentedAccessToken(scheme: "Bearer", token: tokens.accessToken, dpop: nil))
        } == .oauthDPoPProofInvalid)
    }

    @Test("DPoP: a key accepted before is checked again in every proof — a JWK with its private part or another curve is refused")
    func dpopKeyCheckedEveryTime() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let now = fixture.clock.now
        let url = fixture.settings.userinfoEndpoint
        func proof(jwk: [String: Any]) throws -> String {
            try TestJWS.sign(
                header: ["alg": "ES256", "typ": "dpop+jwt", "jwk": jwk],
                claims: ["jti": UUID().uuidString, "htm": "GET", "htu": url, "iat": Int(now.timeIntervalSince1970),
                         "ath": RandomToken.hashBase64URL(tokens.accessToken)],
                key: fixture.keys.dpopKey)
        }
        var withPrivatePart = TestJWS.publicJWK(fixture.keys.dpopKey)
        withPrivatePart["d"] = fixture.keys.dpopKey.rawRepresentation.base64URLEncoded
        var otherCurve = TestJWS.publicJWK(fixture.keys.dpopKey)
        otherCurve["crv"] = "P-384"
        for jwk in [withPrivatePart, otherCurve] {
            #expect(await errorCode {
                _ = try await fixture.provider.userinfo(PresentedAccessToken(
                    scheme: "DPoP", token: tokens.accessToken, dpop: DPoPEvidence(proof: try proof(jwk: jwk), method: "GET", url: url)))
            } == .oauthDPoPProofInvalid)
        }
        let body = try await fixture.provider.userinfo(PresentedAccessToken(
            scheme: "DPoP", token: tokens.accessToken,
            dpop: DPoPEvidence(proof: try proof(jwk: TestJWS.publicJWK(fixture.keys.dpopKey)), method: "GET", url: url)))
        #expect(body["sub"] != nil)
    }

    @Test("DPoP: a proof altered after signing or signed by another key than its jwk is refused with its own code, audited, and the code stays redeemable")
    func dpopTamperedSignature() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        let form = OpenIDTestFixture.codeForm(code)
        let now = fixture.clock.now
        let endpoint = fixture.settings.tokenEndpoint
        let genuine = try fixture.keys.dpopProof(url: endpoint, now: now).split(separator: ".").map(String.init)
        let altered = try fixture.keys.dpopProof(url: "https://elsewhere.example/token", now: now).split(separator: ".").map(String.init)
        let payloadSwapped = [genuine[0], altered[1], genuine[2]].joined(separator: ".")
        let wrongKey = try TestJWS.sign(
            header: ["alg": "ES256", "typ": "dpop+jwt", "jwk": TestJWS.publicJWK(fixture.keys.dpopKey)],
            claims: ["jti": UUID().uuidString, "htm": "POST", "htu": endpoint, "iat": Int(now.timeIntervalSince1970)],
            key: P256.Signing.PrivateKey())
        for proof in [payloadSwapped, wrongKey] {
            #expect(await errorCode {
                _ = try await fixture.provider.token(form: form, credentials: try fixture.credentials(), dpopProof: proof)
            } == .oauthDPoPSignatureInvalid)
        }
        #expect(try await fixture.rejectionCodes() == Array(repeating: SmartNationError.Code.oauthDPoPSignatureInvalid.rawValue, count: 2))
        #expect(try await fixture.count("oidc_token") == 0)
        _ = try await fixture.exchange(code: code)
    }

    @Test("ID tokens: altered, signed by another key, for another audience or expired are each refused with their code and audited")
    func idTokenChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let clientID = fixture.client.clientID
        let parts = tokens.idToken.split(separator: ".").map(String.init)
        func decoded(_ part: String) throws -> [String: Any] {
            let bytes = try #require(Data(base64URLEncoded: part))
            return try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        }
        var claims = try decoded(parts[1])
        claims["sub"] = "someone-else"
        let altered = [parts[0], try JSONSerialization.data(withJSONObject: claims).base64URLEncoded, parts[2]].joined(separator: ".")
        let header = try decoded(parts[0])
        let forged = try TestJWS.sign(header: header, claims: claims, key: P256.Signing.PrivateKey())
        for token in [altered, forged, "not.a.jwt"] {
            #expect(await errorCode { _ = try await fixture.provider.verifyIDToken(token, audience: clientID) } == .oauthIDTokenSignatureInvalid)
        }
        #expect(await errorCode { _ = try await fixture.provider.verifyIDToken(tokens.idToken, audience: "sn-another-client") } == .oauthIDTokenInvalid)
        fixture.clock.advance(by: 24 * 3600)
        #expect(await errorCode { _ = try await fixture.provider.verifyIDToken(tokens.idToken, audience: clientID) } == .oauthIDTokenInvalid)
        let rejections = try await fixture.rejections()
        let expected: [SmartNationError.Code] = Array(repeating: .oauthIDTokenSignatureInvalid, count: 3) + Array(repeating: .oauthIDTokenInvalid, count: 2)
        #expect(rejections.map(\.code) == expected.map(\.rawValue))
        #expect(Set(rejections.map(\.endpoint)) == ["id_token_verification"])
    }

    @Test("a closed citizen's code issues nothing: the closing revoked its grant, so it is refused and left unspent")
    func closedCitizen() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        _ = try await fixture.environment.registry.close(subject: fixture.subject, reason: "deceased")
        #expect(await errorCode { _ = try await fixture.exchange(code: code) } == .oauthCodeInvalid)
        let (usedAt, revokedAt) = try await fixture.database.read { db -> (Double?, Double?) in
            let row = try Row.fetchOne(db, sql: """
                SELECT c.used_at, g.revoked_at FROM oidc_authorization_code c JOIN oidc_grant g ON g.grant_id = c.grant_id
                """)
            return (row?["used_at"], row?["revoked_at"])
        }
        #expect(usedAt == nil)
        #expect(revokedAt != nil)
        #expect(try await fixture.count("oidc_token") == 0)
    }

    @Test("closing a citizen revokes their grants at once: introspection reports their tokens inactive")
    func closingRevokesGrants() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        #expect(try await fixture.provider.introspect(form: ["token": tokens.refreshToken], credentials: try fixture.credentials())["active"] == .bool(true))
        _ = try await fixture.environment.registry.close(subject: fixture.subject, reason: "deceased")
        for token in [tokens.accessToken, tokens.refreshToken] {
            #expect(try await fixture.provider.introspect(form: ["token": token], credentials: try fixture.credentials())["active"] == .bool(false))
        }
    }

    @Test("a refused token request spends its assertion and proof; a replayed request is refused before it touches the code")
    func tokenRequestSpendsSingleUseValues() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let code = try #require(try await fixture.authorize()["code"])
        func form(verifier: String = OpenIDTestFixture.verifier) -> [String: String] { OpenIDTestFixture.codeForm(code, verifier: verifier) }
        func proof(_ jti: String = UUID().uuidString) throws -> String {
            try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now, jti: jti)
        }
        let refusedAssertion = try fixture.credentials(jti: "refused-assertion")
        let refusedProof = try proof("refused-proof")
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: form(verifier: String(repeating: "x", count: 43)), credentials: refusedAssertion, dpopProof: refusedProof)
        } == .oauthPKCEMismatch)
        #expect(await errorCode { _ = try await fixture.provider.token(form: form(), credentials: refusedAssertion, dpopProof: try proof()) }
                == .oauthClientAssertionReplayed)
        #expect(await errorCode { _ = try await fixture.provider.token(form: form(), credentials: try fixture.credentials(), dpopProof: refusedProof) }
                == .oauthDPoPProofReplayed)
        #expect(try await fixture.count("oidc_token") == 0)

        let assertion = try fixture.credentials()
        let accepted = try proof()
        let tokens = try await fixture.provider.token(form: form(), credentials: assertion, dpopProof: accepted)
        #expect(await errorCode { _ = try await fixture.provider.token(form: form(), credentials: assertion, dpopProof: accepted) }
                == .oauthClientAssertionReplayed)
        #expect(try await fixture.userinfo(tokens.accessToken)["sub"] == .string(fixture.subject), "a replay is not a code reuse: nothing is revoked")
        #expect(try await fixture.count("oidc_token") == 2)
        #expect(try await fixture.rejectionCodes().filter { $0 == SmartNationError.Code.oauthClientAssertionReplayed.rawValue }.count == 2)
    }

    @Test("a removed client is refused at once, though it authenticated a moment before")
    func removedClientIsRefused() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: nil)
        try await fixture.provider.clients.remove(id: fixture.client.clientID)
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: nil)
        } == .oauthClientUnknown)
        #expect(try await fixture.provider.clients.client(id: fixture.client.clientID) == nil)
    }

    @Test("a code bound to a DPoP key at PAR is redeemed only with that key")
    func codeBoundToDPoPKey() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let parProof = try fixture.keys.dpopProof(url: fixture.settings.pushedAuthorizationEndpoint, now: fixture.clock.now)
        let pushed = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: try fixture.credentials(), dpopProof: parProof)
        let redirect = try await fixture.provider.completeAuthorization(
            clientID: fixture.client.clientID, requestURI: pushed.requestURI, subject: fixture.subject, methods: ["pwd"],
            authenticatedAt: fixture.clock.now, decision: .approveAll)
        let code = try #require(OpenIDTestFixture.query(of: redirect)["code"])
        let form = OpenIDTestFixture.codeForm(code)
        let otherKeyProof = try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now, key: P256.Signing.PrivateKey())
        #expect(await errorCode { _ = try await fixture.provider.token(form: form, credentials: try fixture.credentials(), dpopProof: otherKeyProof) } == .oauthDPoPKeyMismatch)
        _ = try await fixture.exchange(code: code)
    }

    @Test("dpop_jkt at PAR binds the code without a proof (RFC 9449 §10); one naming another key than the proof's, or malformed, is refused")
    func dpopJKTParameter() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let thumbprint = JWKThumbprint.of(fixture.keys.dpopKey.publicKey)
        var bound = fixture.parForm()
        bound["dpop_jkt"] = thumbprint
        let pushed = try await fixture.provider.pushAuthorizationRequest(form: bound, credentials: try fixture.credentials(), dpopProof: nil)
        let redirect = try await fixture.provider.completeAuthorization(
            clientID: fixture.client.clientID, requestURI: pushed.requestURI, subject: fixture.subject, methods: ["pwd"],
            authenticatedAt: fixture.clock.now, decision: .approveAll)
        let code = try #require(OpenIDTestFixture.query(of: redirect)["code"])
        let otherKeyProof = try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now, key: P256.Signing.PrivateKey())
        #expect(await errorCode {
            _ = try await fixture.provider.token(form: OpenIDTestFixture.codeForm(code), credentials: try fixture.credentials(), dpopProof: otherKeyProof)
        } == .oauthDPoPKeyMismatch)
        _ = try await fixture.exchange(code: code)

        var mismatched = fixture.parForm()
        mismatched["dpop_jkt"] = JWKThumbprint.of(P256.Signing.PrivateKey().publicKey)
        let parProof = try fixture.keys.dpopProof(url: fixture.settings.pushedAuthorizationEndpoint, now: fixture.clock.now)
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(form: mismatched, credentials: try fixture.credentials(), dpopProof: parProof)
        } == .oauthDPoPKeyMismatch)
        var malformed = fixture.parForm()
        malformed["dpop_jkt"] = "not-a-thumbprint"
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(form: malformed, credentials: try fixture.credentials(), dpopProof: nil)
        } == .oauthRequestInvalid)
        #expect(try await fixture.count("oidc_pushed_request") == 1, "the refused requests stored nothing")
    }

    @Test("development clients authenticate with client_secret_basic; a wrong secret is refused")
    func clientSecretBasic() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let registered = try await fixture.provider.clients.register(
            ClientRegistration(name: "Dev app", redirectURIs: ["http://127.0.0.1:9000/cb"], scopes: ["openid"], jwks: nil, dpopBoundAccessTokens: false))
        let secret = try #require(registered.secret)
        var form = fixture.parForm(scope: "openid", redirectURI: "http://127.0.0.1:9000/cb")
        form["client_id"] = registered.client.clientID
        let pushed = try await fixture.provider.pushAuthorizationRequest(
            form: form, credentials: ClientCredentials(basic: (registered.client.clientID, secret)), dpopProof: nil)
        #expect(pushed.requestURI.hasPrefix("urn:ietf:params:oauth:request_uri:"))
        #expect(await errorCode {
            _ = try await fixture.provider.pushAuthorizationRequest(
                form: form, credentials: ClientCredentials(basic: (registered.client.clientID, secret + "x")), dpopProof: nil)
        } == .oauthClientSecretWrong)
    }

    @Test("with development clients off, a client without a JWKS cannot register, discovery offers no secrets, and a secret already issued stops working")
    func developmentClientsOff() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let registration = ClientRegistration(name: "Dev app", redirectURIs: ["http://127.0.0.1:9000/cb"], scopes: ["openid"], jwks: nil, dpopBoundAccessTokens: false)
        let registered = try await fixture.provider.clients.register(registration)
        let secret = try #require(registered.secret)

        var settings = fixture.settings
        settings.allowsDevelopmentClients = false
        let production = try await OpenIDProvider(
            settings: settings, database: fixture.database, citizens: fixture.environment.registry, sealer: fixture.sealer)
        #expect(await errorCode { _ = try await production.clients.register(registration) } == .oauthClientMetadataInvalid)
        let bearer = ClientRegistration(
            name: "Bearer app", redirectURIs: ["https://app.test.sg/cb"], scopes: ["openid"], jwks: fixture.keys.jwks, dpopBoundAccessTokens: false)
        #expect(await errorCode { _ = try await production.clients.register(bearer) } == .oauthClientMetadataInvalid,
                "a production client's access tokens are DPoP-bound (FAPI 2.0: sender-constrained only)")
        for endpoint in ["token", "revocation", "introspection"] {
            #expect(production.discoveryDocument["\(endpoint)_endpoint_auth_methods_supported"] == .array([.string("private_key_jwt")]))
            #expect(production.discoveryDocument["\(endpoint)_endpoint_auth_signing_alg_values_supported"] == .array([.string("ES256")]))
        }
        var form = fixture.parForm(scope: "openid", redirectURI: "http://127.0.0.1:9000/cb")
        form["client_id"] = registered.client.clientID
        #expect(await errorCode {
            _ = try await production.pushAuthorizationRequest(
                form: form, credentials: ClientCredentials(basic: (registered.client.clientID, secret)), dpopProof: nil)
        } == .oauthClientAuthenticationMissing)
    }

    @Test("client registration refuses bad redirect URIs, unknown scopes and private or non-P-256 keys")
    func registrationChecks() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let privateJWK = try JSONSerialization.data(withJSONObject: ["keys": [TestJWS.publicJWK(P256.Signing.PrivateKey()).merging(["d": "AAAA"]) { $1 }]])
        let rsa = #"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#
        let registrations = [
            ClientRegistration(name: "x", redirectURIs: ["http://app.example/cb"], scopes: ["openid"], jwks: fixture.keys.jwks),
            ClientRegistration(name: "x", redirectURIs: ["https://app.example/cb#frag"], scopes: ["openid"], jwks: fixture.keys.jwks),
            ClientRegistration(name: "x", redirectURIs: [], scopes: ["openid"], jwks: fixture.keys.jwks),
            ClientRegistration(name: "x", redirectURIs: ["https://app.example/cb"], scopes: ["openid", "salary"], jwks: fixture.keys.jwks),
            ClientRegistration(name: "x", redirectURIs: ["https://app.example/cb"], scopes: ["openid"], jwks: String(decoding: privateJWK, as: UTF8.self)),
            ClientRegistration(name: "x", redirectURIs: ["https://app.example/cb"], scopes: ["openid"], jwks: rsa),
            ClientRegistration(name: "", redirectURIs: ["https://app.example/cb"], scopes: ["openid"], jwks: fixture.keys.jwks),
        ]
        for registration in registrations {
            #expect(await errorCode { _ = try await fixture.provider.clients.register(registration) } == .oauthClientMetadataInvalid)
        }
        #expect(try await fixture.provider.clients.clients().count == 1)
    }

    @Test("a client may hold only so many pushed requests and device codes pending: past it, 429 pending_limit_reached, audited, until some are used or expire")
    func pendingLimit() async throws {
        let fixture = try await OpenIDTestFixture.make { $0.pendingPerClientMax = 2 }
        defer { fixture.remove() }
        func push() async throws { _ = try await fixture.provider.pushAuthorizationRequest(form: fixture.parForm(), credentials: fixture.credentials(), dpopProof: nil) }
        func startDevice() async throws -> DeviceGrant {
            try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid"], credentials: try fixture.credentials())
        }
        try await push()
        try await push()
        #expect(await errorCode { try await push() } == .oauthPendingLimitReached)
        #expect(await errorCode { _ = try await fixture.authorize() } == .oauthPendingLimitReached)
        fixture.clock.advance(by: fixture.settings.pushedRequestLifetime + 1)
        _ = try await fixture.authorize()

        let first = try await startDevice()
        _ = try await startDevice()
        #expect(await errorCode { _ = try await startDevice() } == .oauthPendingLimitReached)
        try await fixture.provider.decideDeviceAuthorization(
            userCode: first.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now, decision: .deny)
        _ = try await startDevice()
        let refusals = try await fixture.rejectionCodes().filter { $0 == SmartNationError.Code.oauthPendingLimitReached.rawValue }
        #expect(refusals.count == 3)
        #expect(try await fixture.count("oidc_device_authorization") == 3)
    }
}
