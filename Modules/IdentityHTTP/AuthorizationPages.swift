import Foundation
import HTTPTypes
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The authorization endpoint (`/oauth2/authorize`): the login page, then the consent page, then a
/// 303 to the client's redirect URI with `code`, `state` and `iss`.
///
/// Only pushed requests are served (`client_id` + `request_uri`). The login opens a citizen session
/// held in an `HttpOnly`, `SameSite=Lax` cookie scoped to `/oauth2`; the unguessable
/// `request_uri` in each form ties it to this authorization.
struct AuthorizationPages: Sendable {
    static let sessionCookie = "sn_session"

    let platform: IdentityPlatform

    func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        let pages = self
        router.get("/oauth2/authorize") { request, _ in
            let query = request.uri.queryParameters
            return await pages.render { () async throws(SmartNationError) in
                let pending = try await platform.openID.pendingAuthorization(
                    clientID: query["client_id"].map(String.init), requestURI: query["request_uri"].map(String.init))
                if let session = try await pages.session(of: request) {
                    return try await pages.afterLogin(pending, session: session, cookie: nil)
                }
                return pages.loginPage(pending, notice: nil)
            }
        }
        router.post("/oauth2/authorize") { request, context in
            var request = request
            let clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
            return await pages.render { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                let pending = try await platform.openID.pendingAuthorization(clientID: form["client_id"], requestURI: form["request_uri"])
                switch form["action"] {
                case "login":
                    return try await pages.login(pending, form: form, clientAddress: clientAddress)
                case "consent":
                    guard let session = try await pages.session(of: request) else { return pages.loginPage(pending, notice: nil) }
                    let location = try await platform.openID.completeAuthorization(
                        clientID: pending.client.clientID, requestURI: pending.requestURI, subject: session.subject,
                        methods: session.authenticationMethods, authenticatedAt: session.createdAt, approved: form["decision"] == "approve",
                        entityUEN: session.entityUEN)
                    return Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
                default:
                    throw SmartNationError(.httpBodyInvalid, parameters: ["reason": "action must be login or consent"])
                }
            }
        }
    }

    private func login(_ pending: PendingAuthorization, form: [String: String], clientAddress: String) async throws(SmartNationError) -> Response {
        let code = form["otp"].flatMap { $0.isEmpty ? nil : $0 }
        let outcome = try await platform.passwordLogin.login(
            identifier: form["identifier"] ?? "", password: form["password"] ?? "", oneTimeCode: code, clientAddress: clientAddress)
        guard case .succeeded(let subject, let methods) = outcome else {
            let refusal = outcome.refusal ?? SmartNationError(.identityLoginWrongCredentials, httpStatus: 401)
            return loginPage(pending, notice: HTMLPage.Text(key: refusal.messageKey, english: Self.englishNotice(refusal.code)), status: .unauthorized)
        }
        let issued: IssuedSession
        do {
            issued = try await platform.openSession(
                subject: subject, methods: methods, entityUEN: form["entity_uen"]?.trimmingCharacters(in: .whitespaces), clientAddress: clientAddress)
        } catch where error.httpStatus < 500 {
            return loginPage(pending, notice: HTMLPage.Text(key: error.messageKey, english: Self.englishNotice(error.code)), status: .forbidden)
        }
        let secure = platform.openID.settings.issuer.hasPrefix("https://") ? "; Secure" : ""
        let cookie = "\(Self.sessionCookie)=\(issued.token); Path=/oauth2; HttpOnly; SameSite=Lax\(secure)"
        return try await afterLogin(pending, session: issued.session, cookie: cookie)
    }

    /// The consent page, or straight to the client when everything asked was consented before.
    private func afterLogin(_ pending: PendingAuthorization, session: Session, cookie: String?) async throws(SmartNationError) -> Response {
        var headers: HTTPFields = [:]
        if let cookie { headers[.setCookie] = cookie }
        guard try await platform.openID.consentRequired(pending, subject: session.subject) else {
            let location = try await platform.openID.completeAuthorization(
                clientID: pending.client.clientID, requestURI: pending.requestURI, subject: session.subject,
                methods: session.authenticationMethods, authenticatedAt: session.createdAt, approved: true, entityUEN: session.entityUEN)
            headers[.location] = location
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        return consentPage(pending, headers: headers)
    }

    private func loginPage(_ pending: PendingAuthorization, notice: HTMLPage.Text?, status: HTTPResponse.Status = .ok) -> Response {
        var body = HTMLPage.paragraph(HTMLPage.loginIntro, prefix: pending.client.name + " ")
        if let notice { body += HTMLPage.paragraph(notice, className: "error") }
        body += """
            <form method="post" action="/oauth2/authorize">
            \(HTMLPage.hidden("client_id", pending.client.clientID))\(HTMLPage.hidden("request_uri", pending.requestURI))\(HTMLPage.hidden("action", "login"))
            <label><span data-key="\(HTMLPage.identifierLabel.key)">\(HTMLPage.identifierLabel.english)</span><input name="identifier" autocomplete="username" required maxlength="9"></label>
            <label><span data-key="\(HTMLPage.passwordLabel.key)">\(HTMLPage.passwordLabel.english)</span><input type="password" name="password" autocomplete="current-password" required maxlength="256"></label>
            <label><span data-key="\(HTMLPage.entityLabel.key)">\(HTMLPage.entityLabel.english)</span><input name="entity_uen" autocomplete="off" maxlength="10"></label>
            <label><span data-key="\(HTMLPage.oneTimeCodeLabel.key)">\(HTMLPage.oneTimeCodeLabel.english)</span><input name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="32"></label>
            <button type="submit" data-key="\(HTMLPage.loginButton.key)">\(HTMLPage.loginButton.english)</button>
            </form>
            """
        return HTMLPage.response(title: HTMLPage.loginTitle, body: body, status: status)
    }

    private func consentPage(_ pending: PendingAuthorization, headers: HTTPFields) -> Response {
        var body = HTMLPage.paragraph(HTMLPage.consentIntro, prefix: pending.client.name + " ")
        let attributes = pending.request.scopes.attributes.sorted()
        if attributes.isEmpty {
            body += HTMLPage.paragraph(HTMLPage.consentNothing)
        } else {
            body += "<ul>" + attributes.map { "<li data-key=\"\($0.labelKey)\">\(HTMLPage.escape($0.englishLabel))</li>" }.joined() + "</ul>"
        }
        body += """
            <form method="post" action="/oauth2/authorize">
            \(HTMLPage.hidden("client_id", pending.client.clientID))\(HTMLPage.hidden("request_uri", pending.requestURI))\(HTMLPage.hidden("action", "consent"))
            <button type="submit" name="decision" value="approve" data-key="\(HTMLPage.approveButton.key)">\(HTMLPage.approveButton.english)</button>
            <button type="submit" name="decision" value="deny" data-key="\(HTMLPage.denyButton.key)">\(HTMLPage.denyButton.english)</button>
            </form>
            """
        return HTMLPage.response(title: HTMLPage.consentTitle, body: body, extraHeaders: headers)
    }

    private func session(of request: Request) async throws(SmartNationError) -> Session? {
        guard let token = request.cookies[Self.sessionCookie]?.value else { return nil }
        guard case .active(let session) = try await platform.sessions.validate(token: token) else { return nil }
        return session
    }

    /// Runs a page handler; a refusal becomes an error page that names its code (never a redirect
    /// to an unverified URI).
    private func render(_ body: () async throws(SmartNationError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            let content = HTMLPage.paragraph(HTMLPage.errorAdvice) + "<p><code>\(HTMLPage.escape(error.code.rawValue))</code></p>"
            return HTMLPage.response(title: HTMLPage.errorTitle, body: content, status: .init(code: error.httpStatus))
        }
    }

    private static func englishNotice(_ code: SmartNationError.Code) -> String {
        switch code {
        case .identityLoginSecondFactorRequired: "Enter the one-time code from your authenticator app."
        case .identityLoginLockedOut: "Too many attempts. Try again later."
        case .identityLoginAccountClosed: "This account is closed."
        case .identityBusinessNotRepresentative, .identityBusinessNotFound, .identityUENMalformed:
            "You are not authorised to log in for this business."
        default: "The NRIC/FIN, password or code is not right."
        }
    }
}
