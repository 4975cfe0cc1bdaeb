import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import SmartNationCore
import SmartNationHTTP

/// The authorization endpoint (`/oauth2/authorize`): the login page, then the consent page, then a
/// 303 to the client's redirect URI with `code`, `state` and `iss`. The pushed request's `prompt`
/// and `max_age` are honoured (OpenID Connect Core §3.1.2.1): `login` or a session older than
/// `max_age` shows the login page though a session is held, `consent` shows the consent page though
/// consent stands, and `none` shows no page — the client gets `login_required` or
/// `consent_required` when one would be needed.
///
/// Only pushed requests are served (`client_id` + `request_uri`). The login opens a citizen session
/// held in an `HttpOnly`, `SameSite=Lax` cookie (``PageCookies``); the unguessable
/// `request_uri` in each form ties it to this authorization, and ``FormForgeryGuard``'s token ties
/// each post to the browser the page was shown in. The consent page lists the attributes asked
/// for, each with a ticked box the citizen may clear to withhold it.
struct AuthorizationPages: Sendable {
    /// The prefix of a consent page's checkbox names: `share_name`, `share_uinfin`, …
    static let sharePrefix = "share_"

    let platform: IdentityPlatform
    let forgeryGuard: FormForgeryGuard

    init(platform: IdentityPlatform) {
        self.platform = platform
        forgeryGuard = FormForgeryGuard(issuer: platform.openID.settings.issuer)
    }

    func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        let pages = self
        router.get("/oauth2/authorize") { request, _ in
            let query = request.uri.queryParameters
            let (formToken, formCookie) = pages.forgeryGuard.token(for: request)
            return await pages.render { () async throws(SmartNationError) in
                let pending = try await platform.openID.pendingAuthorization(
                    clientID: query["client_id"].map(String.init), requestURI: query["request_uri"].map(String.init))
                var page = PageState(formToken: formToken)
                if let formCookie { page.cookies.append(formCookie) }
                let session = try await pages.session(of: request)
                if let session, !platform.openID.requiresLogin(pending, sessionOpenedAt: session.createdAt) {
                    return try await pages.afterLogin(pending, session: session, page: page)
                }
                if pending.request.forbidsPages {
                    return page.redirect(to: try await platform.openID.endWithoutPage(pending, error: "login_required"))
                }
                return pages.loginPage(pending, page: page, notice: nil)
            }
        }
        router.post("/oauth2/authorize") { request, context in
            var request = request
            let clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
            return await pages.render { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                let formToken = try await platform.openID.auditingRefusals(endpoint: "authorize") { () throws(SmartNationError) in
                    try pages.forgeryGuard.check(request, form: form)
                }
                let page = PageState(formToken: formToken)
                let pending = try await platform.openID.pendingAuthorization(clientID: form["client_id"], requestURI: form["request_uri"])
                switch form["action"] {
                case "login":
                    return try await pages.login(pending, form: form, page: page, clientAddress: clientAddress)
                case "consent":
                    // The login the request asks for (`prompt=login`, `max_age`) cannot be skipped by
                    // posting the consent form with an older session.
                    guard let session = try await pages.session(of: request),
                          !platform.openID.requiresLogin(pending, sessionOpenedAt: session.createdAt)
                    else { return pages.loginPage(pending, page: page, notice: nil) }
                    let location = try await platform.openID.completeAuthorization(
                        clientID: pending.client.clientID, requestURI: pending.requestURI, subject: session.subject,
                        methods: session.authenticationMethods, authenticatedAt: session.createdAt,
                        decision: Self.decision(pending, form: form), entityUEN: session.entityUEN)
                    return page.redirect(to: location)
                default:
                    throw SmartNationError(.httpBodyInvalid, parameters: ["reason": "action must be login or consent"])
                }
            }
        }
    }

    /// What a page carries besides its content: the anti-forgery token for its form and the
    /// cookies it sets.
    private struct PageState {
        let formToken: String
        var cookies: [String] = []

        var headers: HTTPFields {
            var headers: HTTPFields = [:]
            for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return headers
        }

        /// The 303 that ends the authorization at the client's `location`, setting this page's cookies.
        func redirect(to location: String) -> Response {
            var headers = headers
            headers[.location] = location
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
    }

    /// The consent form's answer: deny, or approve sharing the ticked attributes.
    private static func decision(_ pending: PendingAuthorization, form: [String: String]) -> ConsentDecision {
        guard form["decision"] == "approve" else { return .deny }
        return .approve(withholding: pending.request.scopes.attributes.filter { form[sharePrefix + $0.rawValue] == nil })
    }

    private func login(
        _ pending: PendingAuthorization, form: [String: String], page: PageState, clientAddress: String
    ) async throws(SmartNationError) -> Response {
        let code = form["otp"].flatMap { $0.isEmpty ? nil : $0 }
        let entityUEN = form["entity_uen"]?.trimmingCharacters(in: .whitespaces)
        let outcome = try await platform.passwordLogin.login(
            identifier: form["identifier"] ?? "", password: form["password"] ?? "", oneTimeCode: code, clientAddress: clientAddress,
            entityCheck: platform.entityCheck(for: entityUEN))
        guard case .succeeded(let subject, let methods) = outcome else {
            let refusal = outcome.refusal ?? SmartNationError(.identityLoginWrongCredentials, httpStatus: 401)
            let notice = HTMLPage.Text(key: refusal.messageKey, english: Self.englishNotice(refusal.code))
            let status: HTTPResponse.Status = if case .entityRefused = outcome { .forbidden } else { .unauthorized }
            return loginPage(pending, page: page, notice: notice, status: status)
        }
        let issued: IssuedSession
        do {
            issued = try await platform.openSession(subject: subject, methods: methods, entityUEN: entityUEN, clientAddress: clientAddress)
        } catch where error.httpStatus < 500 {
            return loginPage(pending, page: page, notice: HTMLPage.Text(key: error.messageKey, english: Self.englishNotice(error.code)), status: .forbidden)
        }
        var loggedIn = page
        loggedIn.cookies.append(forgeryGuard.cookies.setCookie(forgeryGuard.cookies.session, issued.token))
        return try await afterLogin(pending, session: issued.session, page: loggedIn)
    }

    /// The consent page, or straight to the client when everything asked was consented before and
    /// the client did not ask for the page (`prompt=consent`); with `prompt=none`, `consent_required`
    /// to the client instead of the page.
    private func afterLogin(_ pending: PendingAuthorization, session: Session, page: PageState) async throws(SmartNationError) -> Response {
        let consentRequired = try await platform.openID.consentRequired(pending, subject: session.subject)
        if consentRequired, pending.request.forbidsPages {
            return page.redirect(to: try await platform.openID.endWithoutPage(pending, error: "consent_required"))
        }
        guard consentRequired || pending.request.asksForConsent else {
            let location = try await platform.openID.completeAuthorization(
                clientID: pending.client.clientID, requestURI: pending.requestURI, subject: session.subject,
                methods: session.authenticationMethods, authenticatedAt: session.createdAt, decision: .approveAll, entityUEN: session.entityUEN)
            return page.redirect(to: location)
        }
        return consentPage(pending, page: page)
    }

    private func loginPage(_ pending: PendingAuthorization, page: PageState, notice: HTMLPage.Text?, status: HTTPResponse.Status = .ok) -> Response {
        var body = HTMLPage.paragraph(HTMLPage.loginIntro, prefix: pending.client.name + " ")
        if let notice { body += HTMLPage.paragraph(notice, className: "error") }
        body += """
            <form method="post" action="/oauth2/authorize">
            \(formFields(pending, page: page, action: "login"))
            <label><span data-key="\(HTMLPage.identifierLabel.key)">\(HTMLPage.identifierLabel.english)</span><input name="identifier" autocomplete="username" required maxlength="9"></label>
            <label><span data-key="\(HTMLPage.passwordLabel.key)">\(HTMLPage.passwordLabel.english)</span><input type="password" name="password" autocomplete="current-password" required maxlength="256"></label>
            <label><span data-key="\(HTMLPage.entityLabel.key)">\(HTMLPage.entityLabel.english)</span><input name="entity_uen" autocomplete="off" maxlength="10"></label>
            <label><span data-key="\(HTMLPage.oneTimeCodeLabel.key)">\(HTMLPage.oneTimeCodeLabel.english)</span><input name="otp" inputmode="numeric" autocomplete="one-time-code" maxlength="32"></label>
            <button type="submit" data-key="\(HTMLPage.loginButton.key)">\(HTMLPage.loginButton.english)</button>
            </form>
            """
        return HTMLPage.response(title: HTMLPage.loginTitle, body: body, status: status, extraHeaders: page.headers)
    }

    private func consentPage(_ pending: PendingAuthorization, page: PageState) -> Response {
        var body = HTMLPage.paragraph(HTMLPage.consentIntro, prefix: pending.client.name + " ")
        let attributes = pending.request.scopes.attributes.sorted()
        var choices = ""
        if attributes.isEmpty {
            body += HTMLPage.paragraph(HTMLPage.consentNothing)
        } else {
            choices = "<fieldset>" + attributes.map { attribute in
                """
                <label class="choice"><input type="checkbox" name="\(Self.sharePrefix + attribute.rawValue)" value="yes" checked>\
                <span data-key="\(attribute.labelKey)">\(HTMLPage.escape(attribute.englishLabel))</span></label>
                """
            }.joined() + "</fieldset>" + HTMLPage.paragraph(HTMLPage.consentWithholdHint)
        }
        body += """
            <form method="post" action="/oauth2/authorize">
            \(formFields(pending, page: page, action: "consent"))\(choices)
            <button type="submit" name="decision" value="approve" data-key="\(HTMLPage.approveButton.key)">\(HTMLPage.approveButton.english)</button>
            <button type="submit" name="decision" value="deny" data-key="\(HTMLPage.denyButton.key)">\(HTMLPage.denyButton.english)</button>
            </form>
            """
        return HTMLPage.response(title: HTMLPage.consentTitle, body: body, extraHeaders: page.headers)
    }

    /// The hidden fields every form here posts: which authorization, the anti-forgery token, and the step.
    private func formFields(_ pending: PendingAuthorization, page: PageState, action: String) -> String {
        HTMLPage.hidden("client_id", pending.client.clientID) + HTMLPage.hidden("request_uri", pending.requestURI)
            + HTMLPage.hidden(FormForgeryGuard.fieldName, page.formToken) + HTMLPage.hidden("action", action)
    }

    private func session(of request: Request) async throws(SmartNationError) -> Session? {
        guard let token = request.cookies[forgeryGuard.cookies.session]?.value else { return nil }
        guard case .active(let session) = try await platform.sessions.validate(token: token) else { return nil }
        return session
    }

    /// Runs a page handler; a refusal becomes an error page that names its code (never a redirect
    /// to an unverified URI). A server failure's cause goes to the log.
    private func render(_ body: () async throws(SmartNationError) -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            if error.httpStatus >= 500 {
                Self.logger.error("authorization page failed", metadata: ["error": "\(error)", "at": "\(error.file):\(error.line)"])
            }
            let content = HTMLPage.paragraph(HTMLPage.errorAdvice) + "<p><code>\(HTMLPage.escape(error.code.rawValue))</code></p>"
            return HTMLPage.response(title: HTMLPage.errorTitle, body: content, status: .init(code: error.httpStatus))
        }
    }

    /// Where the pages log the server failures they answer with an error page.
    private static let logger = Logger(label: "sg.smartnation.identity.pages")

    private static func englishNotice(_ code: SmartNationError.Code) -> String {
        switch code {
        case .identityLoginSecondFactorRequired: "Enter the one-time code from your authenticator app."
        case .identityLoginSecondFactorWrong: "The one-time code is not right."
        case .identityLoginSecondFactorReplayed: "This one-time code was used already. Wait for the next one."
        case .identityLoginLockedOut: "Too many attempts. Try again later."
        case .identityLoginAccountClosed: "This account is closed."
        case .identityBusinessNotRepresentative, .identityBusinessNotFound, .identityUENMalformed:
            "You are not authorised to log in for this business."
        default: "The NRIC/FIN, password or code is not right."
        }
    }
}
