import Testing

@testable import IdentityHTTP

@Suite("The authorization pages' anti-forgery guard")
struct FormForgeryGuardTests {
    @Test("the issuer's origin is serialised as a browser sends it: lower case, no path, no default port", arguments: [
        ("https://ID.Test.sg", "https://id.test.sg"),
        ("https://id.test.sg:443/singpass", "https://id.test.sg"),
        ("https://id.test.sg:8443", "https://id.test.sg:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:80", "http://localhost"),
    ])
    func originOfIssuer(issuer: String, origin: String) {
        #expect(FormForgeryGuard(issuer: issuer).origin == origin)
    }

    @Test("an https issuer's cookies are __Host- cookies for the whole host; a development http issuer's are plain, under /oauth2")
    func cookiesOfIssuer() {
        let secure = FormForgeryGuard(issuer: "https://id.test.sg").cookies
        #expect(secure.setCookie(secure.formToken, "t") == "__Host-sn_form=t; Path=/; HttpOnly; SameSite=Lax; Secure")
        let development = FormForgeryGuard(issuer: "http://127.0.0.1:8080").cookies
        #expect(development.setCookie(development.session, "s") == "sn_session=s; Path=/oauth2; HttpOnly; SameSite=Lax")
    }
}
