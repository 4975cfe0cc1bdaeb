import Foundation
import Hummingbird
import Identity
import SmartNationCore

/// The authorization pages' defence against cross-site request forgery: a double-submit token,
/// and the post's `Origin`.
///
/// The page sets a random token in an `HttpOnly`, `SameSite=Lax` cookie (``PageCookies``, a
/// `__Host-` cookie on an `https` issuer) and repeats it in a hidden field; a post must carry both,
/// equal. Another site can make a browser post a form here, but it can neither read the token nor
/// make the browser send a `Lax` cookie with a cross-site post, so it cannot log a citizen in to an
/// account of its choosing or approve a consent in their name. The pages send
/// `Referrer-Policy: same-origin`, so a browser posting their forms names the issuer's origin; a
/// post naming another origin, or the opaque `null`, is refused before the token is looked at. A
/// post with no `Origin` at all (a non-browser client) relies on the token alone.
struct FormForgeryGuard: Sendable {
    static let fieldName = "form_token"

    /// The issuer's origin as a browser serialises it: lower-case scheme and host, and the port
    /// only when it is not the scheme's default.
    let origin: String
    /// The pages' cookies.
    let cookies: PageCookies

    /// A guard for the pages of `issuer`, an `http` or `https` URL (the configuration checks it).
    init(issuer: String) {
        let components = URLComponents(string: issuer)
        origin = components?.webOrigin ?? issuer.lowercased()
        cookies = PageCookies(secure: (components?.scheme?.lowercased() ?? "https") == "https")
    }

    /// The token for the page about to be rendered: the browser's own when its cookie carries a
    /// well-formed one, otherwise a new one and the `Set-Cookie` value that gives it to the browser.
    func token(for request: Request) -> (token: String, setCookie: String?) {
        if let existing = request.cookies[cookies.formToken]?.value, RandomToken.isWellFormed(existing) {
            return (existing, nil)
        }
        let token = RandomToken.make()
        return (token, cookies.setCookie(cookies.formToken, token))
    }

    /// Returns the token of a post that carries it in both the cookie and the form, from this site;
    /// otherwise throws `identity.oauth.form_token_invalid` (403).
    func check(_ request: Request, form: [String: String]) throws(SmartNationError) -> String {
        if let postedFrom = request.headers[.origin], postedFrom.lowercased() != origin {
            throw Self.refusal("the form was posted from another origin (\(postedFrom.prefix(100)))")
        }
        guard let cookie = request.cookies[cookies.formToken]?.value, RandomToken.isWellFormed(cookie),
              let field = form[Self.fieldName],
              constantTimeEquals(Array(cookie.utf8), Array(field.utf8)) else {
            throw Self.refusal("the form's anti-forgery token is missing or does not match this browser's")
        }
        return cookie
    }

    private static func refusal(_ reason: String) -> SmartNationError {
        SmartNationError(.oauthFormTokenInvalid, parameters: ["reason": reason], httpStatus: 403)
    }
}
