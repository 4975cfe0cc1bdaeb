import Hummingbird
import Identity

/// The device grant's `verification_uri` (`/oauth2/device`, RFC 8628 §3.3): the page a kiosk's QR
/// code or printed address leads to. The citizen approves in the citizen app, logged in there, so
/// the page shows the code from `verification_uri_complete`, formatted, and says where to enter
/// it; it takes no credentials. A code that cannot be one is not echoed back.
struct DeviceVerificationPage: Sendable {
    static let title = HTMLPage.Text(key: "identity.page.device.title", english: "Approve a login on another device")
    static let instructions = HTMLPage.Text(
        key: "identity.page.device.instructions",
        english: "Open the Smart Nation app, choose “Approve a login”, and enter the code the other device shows.")
    static let codeIntro = HTMLPage.Text(key: "identity.page.device.code", english: "The code is:")
    static let checkAdvice = HTMLPage.Text(
        key: "identity.page.device.check", english: "Approve only if you started this login yourself and the code matches.")

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/oauth2/device") { request, _ in
            var body = HTMLPage.paragraph(Self.instructions)
            if let typed = request.uri.queryParameters["user_code"], let code = DeviceGrant.normalise(userCode: String(typed)) {
                body += HTMLPage.paragraph(Self.codeIntro) + "<p><strong class=\"user-code\">\(HTMLPage.escape(code))</strong></p>"
            }
            body += HTMLPage.paragraph(Self.checkAdvice)
            return HTMLPage.response(title: Self.title, body: body)
        }
    }
}
