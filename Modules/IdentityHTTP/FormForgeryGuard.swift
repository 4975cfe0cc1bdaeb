import Foundation
import Hummingbird
import Identity
import SmartNationCore

/// The authorization pages' defence against cross-site request forgery: a double-submit token.
///
/// The page sets a random token in an `HttpOnly`, `SameSite=Lax` cookie and repeats it in a hidden
/// field; a post must carry both, equal. Another site can make a browser post a form here, but it
/// can neither read the token nor make the browser send a `Lax` cookie with a cross-site post, so
/// it cannot log a citizen in to an account of its choosing or approve a consent in their name.
/// A post whose `Origin` is another site is refused before the token is looked at.
struct FormForgeryGuard: Sendable {
    static let cookieName = "sn_form"
    static let fieldName = "form_token"
    /// The length of a token this guard makes: 32 random bytes in base64url.
    static let tokenLength = 43

    /// The issuer's origin (`https://host[:port]`), the only origin a form may be posted from.
    let origin: String
    /// Whether the cookie is marked `Secure` (an `https` issuer).
    let secure: Bool

    init(issuer: String) {
        let schemeEnd = issuer.range(of: "://")
        let pathStart = schemeEnd.flatMap { issuer[$0.upperBound...].firstIndex(of: "/") }
        origin = String(pathStart.map { issuer[..<$0] } ?? issuer[...])
        secure = issuer.hasPrefix("https://")
    }

    /// The token for the page about to be rendered: the browser's own when its cookie carries a
    /// well-formed one, otherwise a new one and the `Set-Cookie` value that gives it to the browser.
    func token(for request: Request) -> (token: String, setCookie: String?) {
        if let existing = request.cookies[Self.cookieName]?.value, Self.isWellFormed(existing) {
            return (existing, nil)
        }
        let token = RandomToken.make()
        return (token, "\(Self.cookieName)=\(token); Path=/oauth2; HttpOnly; SameSite=Lax\(secure ? "; Secure" : "")")
    }

    /// Returns the token of a post that carries it in both the cookie and the form, from this site;
    /// otherwise throws `identity.oauth.form_token_invalid` (403).
    func check(_ request: Request, form: [String: String]) throws(SmartNationError) -> String {
        if let postedFrom = request.headers[.origin], postedFrom != "null", postedFrom != origin {
            throw Self.refusal("the form was posted from another site")
        }
        guard let cookie = request.cookies[Self.cookieName]?.value, Self.isWellFormed(cookie),
              let field = form[Self.fieldName],
              constantTimeEquals(Array(cookie.utf8), Array(field.utf8)) else {
            throw Self.refusal("the form's anti-forgery token is missing or does not match this browser's")
        }
        return cookie
    }

    private static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == tokenLength && token.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }

    private static func refusal(_ reason: String) -> SmartNationError {
        SmartNationError(.oauthFormTokenInvalid, parameters: ["reason": reason], httpStatus: 403)
    }
}
