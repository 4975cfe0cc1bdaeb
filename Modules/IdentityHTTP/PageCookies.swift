/// The cookies the authorization pages set, named and scoped for the issuer.
///
/// On an `https` issuer the names carry the `__Host-` prefix, so a browser keeps them only when set
/// `Secure`, with `Path=/` and no `Domain`: another host of the same site (a sibling subdomain) can
/// neither set nor overwrite them, and so cannot plant its own anti-forgery token or session. A
/// plain-http development issuer gets plain names scoped to `/oauth2`.
struct PageCookies: Sendable, Hashable {
    /// The anti-forgery token's cookie (``FormForgeryGuard``).
    let formToken: String
    /// The citizen's login session on these pages.
    let session: String
    private let attributes: String

    /// The cookies of an issuer served over `https` when `secure`.
    init(secure: Bool) {
        if secure {
            formToken = "__Host-sn_form"
            session = "__Host-sn_session"
            attributes = "Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            formToken = "sn_form"
            session = "sn_session"
            attributes = "Path=/oauth2; HttpOnly; SameSite=Lax"
        }
    }

    /// The `Set-Cookie` value that gives the browser cookie `name` with `value`.
    func setCookie(_ name: String, _ value: String) -> String {
        "\(name)=\(value); \(attributes)"
    }
}
