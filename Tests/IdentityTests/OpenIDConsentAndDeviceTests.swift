import Foundation
import GRDB
import SmartNationCore
import Testing

@testable import Identity

@Suite("OpenID provider: consent, device grant, signing keys")
struct OpenIDConsentAndDeviceTests {
    @Test("consent is recorded once per widening, listed, and revoking it revokes the client's tokens")
    func consentLifecycle() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let tokens = try await fixture.exchange(code: try #require(try await fixture.authorize(scope: "openid name")["code"]))
        _ = try await fixture.authorize(scope: "openid name")
        _ = try await fixture.authorize(scope: "openid name email")
        let consents = try await fixture.provider.consents(of: fixture.subject)
        #expect(consents.count == 1)
        #expect(consents.first?.attributes == [.name, .email])
        #expect(consents.first?.clientName == "HDB Portal")

        try await fixture.provider.revokeConsent(subject: fixture.subject, clientID: fixture.client.clientID)
        #expect(try await fixture.provider.consents(of: fixture.subject).isEmpty)
        #expect(await errorCode { _ = try await fixture.userinfo(tokens.accessToken) } == .oauthAccessTokenInvalid)
        #expect(await errorCode { try await fixture.provider.revokeConsent(subject: fixture.subject, clientID: fixture.client.clientID) } == .oauthConsentNotFound)
        let types = try await fixture.database.read { db in
            try Outbox.pending(limit: 10_000, in: db).map(\.event.type)
        }
        #expect(types.filter { $0 == ConsentGranted.eventType }.count == 2)
        #expect(types.filter { $0 == ConsentRevoked.eventType }.count == 1)
    }

    @Test("a citizen may withhold some asked-for attributes: the tokens, userinfo and consent carry only what was shared, and the next request asks again")
    func partialConsent() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let response = try await fixture.authorize(scope: "openid name uinfin email", decision: .approve(withholding: [.uinfin]))
        let tokens = try await fixture.exchange(code: try #require(response["code"]))
        #expect(tokens.scope == "openid email name")
        let claims = try await fixture.provider.verifyIDToken(tokens.idToken, audience: fixture.client.clientID)
        #expect(Set(claims.attributes.keys) == ["name", "email"])
        let info = try await fixture.userinfo(tokens.accessToken)
        #expect(info["uinfin"] == nil && info["name"] != nil && info["email"] != nil)
        #expect(try await fixture.provider.consents(of: fixture.subject).first?.attributes == [.name, .email])
        let again = try await fixture.provider.pushAuthorizationRequest(
            form: fixture.parForm(scope: "openid name uinfin"), credentials: fixture.credentials(), dpopProof: nil)
        let pending = try await fixture.provider.pendingAuthorization(clientID: fixture.client.clientID, requestURI: again.requestURI)
        #expect(try await fixture.provider.attributesNeedingConsent(pending, subject: fixture.subject) == [.uinfin])

        _ = try await fixture.authorize(scope: "openid name uinfin email", decision: .approve(withholding: [.email, .uinfin]))
        #expect(try await fixture.provider.consents(of: fixture.subject).first?.attributes == [.name],
                "an attribute consented before and left out now is no longer consented")
        let earlierInfo = try await fixture.userinfo(tokens.accessToken)
        #expect(earlierInfo["email"] == nil && earlierInfo["name"] != nil, "the grant issued before loses the withdrawn attribute too")
        let earlierRefreshed = try await fixture.refresh(tokens.refreshToken)
        #expect(earlierRefreshed.scope == "openid name")
        #expect(Set(try await fixture.provider.verifyIDToken(earlierRefreshed.idToken, audience: fixture.client.clientID).attributes.keys) == ["name"])
        let emailAgain = try await fixture.provider.pushAuthorizationRequest(
            form: fixture.parForm(scope: "openid name email"), credentials: fixture.credentials(), dpopProof: nil)
        let pendingEmail = try await fixture.provider.pendingAuthorization(clientID: fixture.client.clientID, requestURI: emailAgain.requestURI)
        #expect(try await fixture.provider.consentRequired(pendingEmail, subject: fixture.subject))
        #expect(try await fixture.provider.attributesNeedingConsent(pendingEmail, subject: fixture.subject) == [.email])

        let device = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid name email"], credentials: try fixture.credentials())
        try await fixture.provider.decideDeviceAuthorization(
            userCode: device.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now,
            decision: .approve(withholding: [.name, .email]))
        let kiosk = try await fixture.provider.token(
            form: ["grant_type": DeviceGrant.grantType, "device_code": device.deviceCode], credentials: try fixture.credentials(),
            dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        #expect(kiosk.scope == "openid", "withholding everything still approves the login itself")
        #expect(try await fixture.provider.consents(of: fixture.subject).first?.attributes == [], "the app's decision narrows the consent too")
        #expect(try await fixture.provider.verifyIDToken(kiosk.idToken, audience: fixture.client.clientID).attributes.isEmpty)
    }

    @Test("device grant: pending, slow_down, approval in the app, tokens once; denial, consent withdrawn before the poll, and expiry")
    func deviceGrant() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let grant = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid name"], credentials: try fixture.credentials())
        #expect(grant.userCode.count == 9)
        #expect(grant.verificationURIComplete.hasSuffix(grant.userCode))
        func poll() async throws -> TokenResponse {
            try await fixture.provider.token(
                form: ["grant_type": DeviceGrant.grantType, "device_code": grant.deviceCode], credentials: try fixture.credentials(),
                dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        }
        #expect(await errorCode { _ = try await poll() } == .oauthAuthorizationPending)
        #expect(await errorCode { _ = try await poll() } == .oauthSlowDown)
        let pending = try await fixture.provider.pendingDeviceAuthorization(userCode: grant.userCode.lowercased(), subject: fixture.subject)
        #expect(pending.client.clientID == fixture.client.clientID)
        #expect(pending.scopes.attributes == [.name])
        try await fixture.provider.decideDeviceAuthorization(
            userCode: grant.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now, decision: .approveAll)
        #expect(await errorCode {
            try await fixture.provider.decideDeviceAuthorization(
                userCode: grant.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now, decision: .approveAll)
        } == .oauthUserCodeInvalid)
        fixture.clock.advance(by: 6)
        let tokens = try await poll()
        let claims = try await fixture.provider.verifyIDToken(tokens.idToken, audience: fixture.client.clientID)
        #expect(claims.subject == fixture.subject)
        #expect(claims.authenticationMethods == ["hwk"])
        fixture.clock.advance(by: 6)
        #expect(await errorCode { _ = try await poll() } == .oauthCodeInvalid)

        let denied = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid"], credentials: try fixture.credentials())
        try await fixture.provider.decideDeviceAuthorization(
            userCode: denied.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now, decision: .deny)
        #expect(await errorCode {
            _ = try await fixture.provider.token(
                form: ["grant_type": DeviceGrant.grantType, "device_code": denied.deviceCode], credentials: try fixture.credentials(),
                dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .oauthAccessDenied)

        let withdrawn = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid name"], credentials: try fixture.credentials())
        try await fixture.provider.decideDeviceAuthorization(
            userCode: withdrawn.userCode, subject: fixture.subject, methods: ["hwk"], authenticatedAt: fixture.clock.now, decision: .approveAll)
        try await fixture.provider.revokeConsent(subject: fixture.subject, clientID: fixture.client.clientID)
        #expect(await errorCode {
            _ = try await fixture.provider.token(
                form: ["grant_type": DeviceGrant.grantType, "device_code": withdrawn.deviceCode], credentials: try fixture.credentials(),
                dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .oauthCodeInvalid)

        let expiring = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid"], credentials: try fixture.credentials())
        fixture.clock.advance(by: fixture.settings.deviceCodeLifetime + 1)
        #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: expiring.userCode, subject: fixture.subject) } == .oauthUserCodeInvalid)
        #expect(await errorCode {
            _ = try await fixture.provider.token(
                form: ["grant_type": DeviceGrant.grantType, "device_code": expiring.deviceCode], credentials: try fixture.credentials(),
                dpopProof: try fixture.keys.dpopProof(url: fixture.settings.tokenEndpoint, now: fixture.clock.now))
        } == .oauthDeviceCodeExpired, "the kiosk's poll gets expired_token")
        #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: "AAAA-AAAA", subject: fixture.subject) } == .oauthUserCodeInvalid)
    }

    @Test("user codes cannot be guessed: past the free wrong codes a citizen is locked out, even with the right one; each wrong code is audited")
    func userCodeGuessing() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let grant = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid name"], credentials: try fixture.credentials())
        for _ in 0...OpenIDProvider.userCodeFreeFailures {
            #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: "BCDF-GHJK", subject: fixture.subject) }
                == .oauthUserCodeInvalid)
        }
        #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: grant.userCode, subject: fixture.subject) }
            == .oauthUserCodeAttemptsExceeded)
        #expect(await errorCode {
            try await fixture.provider.decideDeviceAuthorization(
                userCode: grant.userCode, subject: fixture.subject, methods: ["pwd"], authenticatedAt: fixture.clock.now, decision: .approveAll)
        } == .oauthUserCodeAttemptsExceeded, "deciding is locked out too")
        #expect(try await fixture.provider.pendingDeviceAuthorization(userCode: grant.userCode, subject: "another-citizen").client.clientID
            == fixture.client.clientID, "another citizen is not")
        fixture.clock.advance(by: 61)
        #expect(try await fixture.provider.pendingDeviceAuthorization(userCode: grant.userCode, subject: fixture.subject).client.clientID
            == fixture.client.clientID, "the lockout ends")
        let rejections = try await fixture.rejectionCodes()
        #expect(rejections.filter { $0 == SmartNationError.Code.oauthUserCodeInvalid.rawValue }.count == OpenIDProvider.userCodeFreeFailures + 1)
        #expect(rejections.filter { $0 == SmartNationError.Code.oauthUserCodeAttemptsExceeded.rawValue }.count == 2)
    }

    @Test("looking up a code the citizen already knows does not clear their wrong guesses (RFC 8628 §5.1)")
    func userCodeGuessesOutliveRightLookups() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let known = try await fixture.provider.startDeviceAuthorization(form: ["scope": "openid name"], credentials: try fixture.credentials())
        for _ in 0..<OpenIDProvider.userCodeFreeFailures {
            #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: "BCDF-GHJK", subject: fixture.subject) }
                == .oauthUserCodeInvalid)
            _ = try await fixture.provider.pendingDeviceAuthorization(userCode: known.userCode, subject: fixture.subject)
        }
        #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: "BCDF-GHJK", subject: fixture.subject) }
            == .oauthUserCodeInvalid)
        #expect(await errorCode { _ = try await fixture.provider.pendingDeviceAuthorization(userCode: known.userCode, subject: fixture.subject) }
            == .oauthUserCodeAttemptsExceeded, "the wrong codes between the right lookups added up")
    }

    @Test("a rotated key is published before it signs; the old key stays in the JWKS for the overlap, then drops out; keys are sealed at rest")
    func keyRotation() async throws {
        let fixture = try await OpenIDTestFixture.make()
        defer { fixture.remove() }
        let keys = fixture.provider.signingKeys
        let firstKID = keys.activeKeyID
        func publishedKIDs() throws -> Set<String> {
            let published = try JSONDecoder().decode(JSONValue.self, from: keys.jwks)
            guard case .array(let listed)? = published["keys"] else { return [] }
            #expect(listed.allSatisfy { $0["d"] == nil })
            return Set(listed.compactMap { $0["kid"]?.stringValue })
        }
        func signingKID(of idToken: String) throws -> String? {
            let header = try #require(idToken.split(separator: ".").first)
            var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            return try JSONDecoder().decode(JSONValue.self, from: try #require(Data(base64Encoded: base64)))["kid"]?.stringValue
        }
        let before = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        let next = try await keys.rotate()
        #expect(next.keyID != firstKID)
        #expect(next.signsFrom == fixture.clock.now.addingTimeInterval(fixture.settings.signingKeyPublicationLead))
        #expect(try publishedKIDs() == [firstKID, next.keyID], "the new key is published at once")
        #expect(keys.activeKeyID == firstKID, "but does not sign yet")
        let during = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        #expect(try signingKID(of: during.idToken) == firstKID)
        _ = try await fixture.provider.verifyIDToken(before.idToken, audience: fixture.client.clientID)
        _ = try await fixture.provider.verifyIDToken(during.idToken, audience: fixture.client.clientID)

        fixture.clock.advance(by: fixture.settings.signingKeyPublicationLead)
        #expect(keys.activeKeyID == next.keyID, "once the lead has passed it signs")
        let after = try await fixture.exchange(code: try #require(try await fixture.authorize()["code"]))
        #expect(try signingKID(of: after.idToken) == next.keyID)
        _ = try await fixture.provider.verifyIDToken(after.idToken, audience: fixture.client.clientID)

        fixture.clock.advance(by: fixture.settings.signingKeyOverlap - 1)
        try await keys.refresh()
        #expect(try publishedKIDs() == [firstKID, next.keyID], "the old key stays for the overlap")
        fixture.clock.advance(by: 2)
        try await keys.refresh()
        #expect(try publishedKIDs() == [next.keyID], "then drops out, without another rotation")

        #expect(await errorCode {
            _ = try await ProviderSigningKeys(database: fixture.database, sealer: .random(), overlap: 60, publicationLead: 600)
        } == .identitySecretUnreadable)
    }
}
