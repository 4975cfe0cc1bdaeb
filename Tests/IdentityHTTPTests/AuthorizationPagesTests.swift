import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import SmartNationCore
import Testing

@Suite("The authorization endpoint's login and consent pages over HTTP")
struct AuthorizationPagesTests {
    @Test("the login page has no script, escapes the client's name and forbids framing")
    func loginPageIsInert() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient(name: "<b>x</b>")
            let requestURI = try await fixture.pushRequest(authorization: authorization, clientID: clientID)
            let query = IdentityHTTPFixture.formEncoded([("client_id", clientID), ("request_uri", requestURI)])
            let response = try await fixture.send(.get, "/oauth2/authorize?" + query)
            let html = String(buffer: response.body)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(!html.lowercased().contains("<script"))
            #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"))
            #expect(!html.contains("<b>x</b>"))
            #expect(html.contains(#"name="password""#) && html.contains(#"data-key="identity.page.login.title""#))
            #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test("the device grant's verification URI serves a page showing the kiosk's code and where to approve it; a bad code is not echoed")
    func deviceVerificationPage() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, _) = try await fixture.registerDevelopmentClient()
            let started = try await fixture.postForm("/oauth2/device_authorization", [("scope", "openid name")], headers: [.authorization: authorization])
            let grant = try IdentityHTTPFixture.json(started)
            let complete = try #require(grant["verification_uri_complete"]?.stringValue)
            let userCode = try #require(grant["user_code"]?.stringValue)
            let path = String(complete.dropFirst(IdentityHTTPFixture.issuer.count))
            #expect(path.hasPrefix("/oauth2/device?user_code="))
            let page = try await fixture.send(.get, path.lowercased())
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.contains(userCode), "the code is shown, normalised")
            #expect(html.contains(#"data-key="identity.page.device.instructions""#))
            #expect(!html.lowercased().contains("<script") && !html.contains("<form"))
            let injected = String(buffer: try await fixture.send(.get, "/oauth2/device?user_code=%3Cscript%3E").body)
            #expect(!injected.contains("script") && !injected.contains("user-code"))
        }
    }

    @Test("an authorization request that was not pushed gets an error page, never a redirect")
    func unpushedRequestIsRefused() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (_, clientID) = try await fixture.registerDevelopmentClient()
            let query = IdentityHTTPFixture.formEncoded([
                ("client_id", clientID), ("response_type", "code"), ("redirect_uri", IdentityHTTPFixture.redirectURI),
            ])
            let response = try await fixture.send(.get, "/oauth2/authorize?" + query)
            #expect(response.status == .badRequest)
            #expect(response.headers[.location] == nil)
            #expect(String(buffer: response.body).contains("identity.oauth.pushed_request_required"))
        }
    }

    @Test("a wrong password re-renders the login page with 401 and the wrong-credentials message key")
    func wrongPasswordRerendersLogin() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            var browser = Browser(fixture: fixture, clientID: clientID, requestURI: try await fixture.pushRequest(authorization: authorization, clientID: clientID))
            _ = try await browser.open()
            let response = try await browser.post([
                ("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", "not the password"), ("otp", ""),
            ])
            let html = String(buffer: response.body)
            #expect(response.status == .unauthorized)
            #expect(html.contains(#"data-key="error.identity.login.wrong_credentials""#))
            #expect(html.contains(#"name="password""#))
            #expect(response.headers[.setCookie] == nil, "no session, and the form cookie the browser has is kept")
        }
    }

    @Test("the right password sets an HttpOnly session cookie and shows the consent page; approving redirects with code, state and iss")
    func loginConsentAndRedirect() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            var browser = Browser(fixture: fixture, clientID: clientID, requestURI: try await fixture.pushRequest(authorization: authorization, clientID: clientID))
            let page = try await browser.open()
            let formCookie = try #require(page.headers[.setCookie])
            #expect(formCookie.hasPrefix("__Host-sn_form=") && formCookie.hasSuffix("; Path=/; HttpOnly; SameSite=Lax; Secure"),
                    "a __Host- cookie, which no sibling host can set: \(formCookie)")
            #expect(!formCookie.contains("Domain"))
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin", "so the browser's post names this origin")
            #expect(String(buffer: page.body).contains(#"name="form_token" value="\#(browser.cookies["__Host-sn_form"] ?? "-")""#))
            let login = try await browser.post([("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password)])
            #expect(login.status == .ok)
            let html = String(buffer: login.body)
            #expect(html.contains(#"value="approve""#))
            #expect(html.contains(#"<input type="checkbox" name="share_name" value="yes" checked>"#))
            let cookie = try #require(login.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-sn_session=") && cookie.hasSuffix("; Path=/; HttpOnly; SameSite=Lax; Secure"))
            let consent = try await browser.post([("action", "consent"), ("share_name", "yes"), ("decision", "approve")])
            #expect(consent.status == .seeOther)
            let location = try #require(consent.headers[.location].flatMap { URLComponents(string: $0) })
            let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(location.string?.hasPrefix(IdentityHTTPFixture.redirectURI + "?") == true)
            #expect(items["state"] == "state-123" && items["iss"] == IdentityHTTPFixture.issuer)
            #expect(items["code"]?.isEmpty == false)
        }
    }

    @Test("prompt and max_age: none shows no page (login_required, consent_required, or a code), login and an old session log in again, consent asks again")
    func promptAndMaxAge() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient(scopes: ["openid", "name", "email"])
            var browser = Browser(fixture: fixture, clientID: clientID, requestURI: "")
            func open(_ extra: [(String, String)], scope: String = "openid name") async throws -> TestResponse {
                browser = Browser(
                    fixture: fixture, clientID: clientID,
                    requestURI: try await fixture.pushRequest(authorization: authorization, clientID: clientID, scope: scope, adding: extra),
                    cookies: browser.cookies)
                return try await browser.open()
            }
            func redirected(_ response: TestResponse) -> [String: String] {
                let location = response.headers[.location].flatMap { URLComponents(string: $0) }
                return Dictionary(uniqueKeysWithValues: (location?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            }

            let noSession = try await open([("prompt", "none")])
            #expect(noSession.status == .seeOther)
            #expect(redirected(noSession) == ["error": "login_required", "iss": IdentityHTTPFixture.issuer, "state": "state-123"])

            #expect(try await open([]).status == .ok)
            _ = try await browser.post([("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password)])
            #expect(try await browser.post([("action", "consent"), ("share_name", "yes"), ("decision", "approve")]).status == .seeOther)

            let silent = try await open([("prompt", "none")])
            #expect(silent.status == .seeOther && redirected(silent)["code"]?.isEmpty == false, "a session and a standing consent: a code, no page")
            let widened = try await open([("prompt", "none")], scope: "openid name email")
            #expect(redirected(widened)["error"] == "consent_required")
            let relogin = try await open([("prompt", "login")])
            #expect(relogin.status == .ok && String(buffer: relogin.body).contains(#"name="password""#), "the login page though a session is held")
            let skipped = try await browser.post([("action", "consent"), ("share_name", "yes"), ("decision", "approve")])
            #expect(skipped.status == .ok && String(buffer: skipped.body).contains(#"name="password""#),
                    "posting the consent form with the older session does not skip the login")
            let freshLogin = try await browser.post([
                ("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password),
            ])
            #expect(freshLogin.status == .seeOther && redirected(freshLogin)["code"]?.isEmpty == false, "a login after the push answers prompt=login")
            let reconsent = try await open([("prompt", "consent")])
            #expect(reconsent.status == .ok && String(buffer: reconsent.body).contains(#"value="approve""#), "the consent page though consent stands")
            let recent = try await open([("max_age", "3600")])
            #expect(recent.status == .seeOther && redirected(recent)["code"]?.isEmpty == false)
            try await Task.sleep(for: .milliseconds(1_100))
            let stale = try await open([("max_age", "1")])
            #expect(stale.status == .ok && String(buffer: stale.body).contains(#"name="password""#), "a session older than max_age logs in again")
            let loggedInAgain = try await browser.post([
                ("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password),
            ])
            #expect(loggedInAgain.status == .seeOther && redirected(loggedInAgain)["code"]?.isEmpty == false)

            #expect(try await fixture.postForm(
                "/oauth2/par", IdentityHTTPFixture.parForm(clientID: clientID) + [("prompt", ""), ("max_age", "")], headers: [.authorization: authorization]
            ).status == .created, "a parameter sent without a value is as if omitted (RFC 6749 3.1)")
            for (name, value) in [("prompt", "bogus"), ("prompt", "none login"), ("prompt", " "), ("max_age", "-1"), ("max_age", "soon"), ("max_age", "99999999999")] {
                let refused = try await fixture.postForm(
                    "/oauth2/par", IdentityHTTPFixture.parForm(clientID: clientID) + [(name, value)], headers: [.authorization: authorization])
                #expect(refused.status == .badRequest, "\(name)=\(value)")
                #expect(try IdentityHTTPFixture.json(refused)["error"]?.stringValue == "invalid_request", "\(name)=\(value)")
            }
        }
    }

    @Test("a box the citizen clears on the consent page withholds that attribute: the consent records only what was shared")
    func consentWithholdsClearedAttributes() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient(scopes: ["openid", "name", "email"])
            let requestURI = try await fixture.pushRequest(authorization: authorization, clientID: clientID, scope: "openid name email")
            var browser = Browser(fixture: fixture, clientID: clientID, requestURI: requestURI)
            _ = try await browser.open()
            let login = try await browser.post([("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password)])
            #expect(String(buffer: login.body).contains(#"name="share_email""#))
            let consent = try await browser.post([("action", "consent"), ("share_name", "yes"), ("decision", "approve")])
            #expect(consent.status == .seeOther)
            #expect(try await fixture.platform.openID.consents(of: fixture.subject).map(\.attributes) == [[.name]])
        }
    }

    @Test("a login or consent posted without this browser's form token, with another's, from another site or an opaque origin is refused with 403 and audited; the request stays usable")
    func forgedPostsAreRefused() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            let requestURI = try await fixture.pushRequest(authorization: authorization, clientID: clientID)
            let credentials = [("action", "login"), ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password)]
            var attacker = Browser(fixture: fixture, clientID: clientID, requestURI: requestURI)
            _ = try await attacker.open()
            var victim = Browser(fixture: fixture, clientID: clientID, requestURI: requestURI)
            _ = try await victim.open()
            victim.formToken = attacker.formToken
            let forgeries = [
                try await fixture.postForm("/oauth2/authorize", [("client_id", clientID), ("request_uri", requestURI)] + credentials),
                try await victim.post(credentials),
                try await attacker.post(credentials, origin: "https://evil.example"),
                try await attacker.post(credentials, origin: "null"),
            ]
            for forged in forgeries {
                #expect(forged.status == .forbidden)
                #expect(String(buffer: forged.body).contains("identity.oauth.form_token_invalid"))
                #expect(forged.headers[.setCookie] == nil, "no session is opened")
            }
            let rejections = try await fixture.platform.database.read { db in
                try Outbox.pending(limit: 10_000, in: db).map(\.event)
            }.filter { $0.type == OAuthRequestRejected.eventType }.map { try $0.decodeData(as: OAuthRequestRejected.self) }
            #expect(rejections.map(\.code) == Array(repeating: "identity.oauth.form_token_invalid", count: 4))
            #expect(rejections.allSatisfy { $0.endpoint == "authorize" })
            let genuine = try await attacker.post(credentials, origin: IdentityHTTPFixture.issuer)
            #expect(genuine.status == .ok && String(buffer: genuine.body).contains(#"value="approve""#))
        }
    }
}

/// A browser on the authorization pages: keeps the cookies they set and posts each form back with
/// the page's anti-forgery token, as a real one does.
private struct Browser {
    let fixture: IdentityHTTPFixture
    let clientID: String
    let requestURI: String
    var cookies: [String: String] = [:]
    var formToken: String?

    /// GETs the authorization page for the request.
    mutating func open() async throws -> TestResponse {
        let query = IdentityHTTPFixture.formEncoded([("client_id", clientID), ("request_uri", requestURI)])
        return remember(try await fixture.send(.get, "/oauth2/authorize?" + query, headers: cookieHeader))
    }

    /// Posts the page's form with `fields` added to its hidden ones.
    mutating func post(_ fields: [(String, String)], origin: String? = nil) async throws -> TestResponse {
        var headers = cookieHeader
        if let origin { headers[.origin] = origin }
        let hidden = [("client_id", clientID), ("request_uri", requestURI), ("form_token", formToken ?? "")]
        return remember(try await fixture.postForm("/oauth2/authorize", hidden + fields, headers: headers))
    }

    private var cookieHeader: HTTPFields {
        cookies.isEmpty ? [:] : [.cookie: cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")]
    }

    private mutating func remember(_ response: TestResponse) -> TestResponse {
        for setCookie in response.headers[values: .setCookie] {
            let pair = setCookie.prefix { $0 != ";" }
            guard let equals = pair.firstIndex(of: "=") else { continue }
            cookies[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let html = String(buffer: response.body)
        if let field = html.range(of: #"name="form_token" value=""#) {
            formToken = String(html[field.upperBound...].prefix { $0 != "\"" })
        }
        return response
    }
}
