import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
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
            let requestURI = try await fixture.pushRequest(authorization: authorization, clientID: clientID)
            let response = try await fixture.postForm("/oauth2/authorize", [
                ("client_id", clientID), ("request_uri", requestURI), ("action", "login"),
                ("identifier", IdentityHTTPFixture.nric), ("password", "not the password"), ("otp", ""),
            ])
            let html = String(buffer: response.body)
            #expect(response.status == .unauthorized)
            #expect(html.contains(#"data-key="error.identity.login.wrong_credentials""#))
            #expect(html.contains(#"name="password""#))
            #expect(response.headers[.setCookie] == nil)
        }
    }

    @Test("the right password sets an HttpOnly session cookie and shows the consent page; approving redirects with code, state and iss")
    func loginConsentAndRedirect() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            let requestURI = try await fixture.pushRequest(authorization: authorization, clientID: clientID)
            let login = try await fixture.postForm("/oauth2/authorize", [
                ("client_id", clientID), ("request_uri", requestURI), ("action", "login"),
                ("identifier", IdentityHTTPFixture.nric), ("password", IdentityHTTPFixture.password),
            ])
            #expect(login.status == .ok)
            #expect(String(buffer: login.body).contains(#"value="approve""#))
            let cookie = try #require(login.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/oauth2") && cookie.contains("Secure"))
            let sessionCookie = String(cookie.prefix { $0 != ";" })
            let consent = try await fixture.postForm(
                "/oauth2/authorize", [("client_id", clientID), ("request_uri", requestURI), ("action", "consent"), ("decision", "approve")],
                headers: [.cookie: sessionCookie])
            #expect(consent.status == .seeOther)
            let location = try #require(consent.headers[.location].flatMap { URLComponents(string: $0) })
            let items = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(location.string?.hasPrefix(IdentityHTTPFixture.redirectURI + "?") == true)
            #expect(items["state"] == "state-123" && items["iss"] == IdentityHTTPFixture.issuer)
            #expect(items["code"]?.isEmpty == false)
        }
    }
}
