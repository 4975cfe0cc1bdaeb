import HTTPTypes
import Hummingbird
import Identity
import NIOCore

/// The authorization endpoint's server-rendered pages: plain HTML forms, no JavaScript.
///
/// Every visible string carries its Multilingual message key in `data-key`; the text is English
/// until the catalogues render the keys in Chinese, Malay and Tamil.
enum HTMLPage {
    /// One line of page text: its message key and English rendering.
    struct Text {
        let key: String
        let english: String
    }

    static let loginTitle = Text(key: "identity.page.login.title", english: "Log in with Smart Nation")
    static let loginIntro = Text(key: "identity.page.login.intro", english: "is asking you to log in.")
    static let identifierLabel = Text(key: "identity.page.login.identifier", english: "NRIC or FIN")
    static let passwordLabel = Text(key: "identity.page.login.password", english: "Password")
    static let oneTimeCodeLabel = Text(key: "identity.page.login.one_time_code", english: "One-time code or recovery code (if you set one up)")
    static let entityLabel = Text(key: "identity.page.login.entity", english: "Business UEN (only to log in for a business)")
    static let loginButton = Text(key: "identity.page.login.submit", english: "Log in")
    static let consentTitle = Text(key: "identity.page.consent.title", english: "Share your details")
    static let consentIntro = Text(key: "identity.page.consent.intro", english: "would like these details from your Smart Nation profile:")
    static let consentNothing = Text(key: "identity.page.consent.nothing", english: "only that you have logged in (no personal details).")
    static let consentWithholdHint = Text(key: "identity.page.consent.withhold_hint", english: "Clear a box to keep that detail back.")
    static let approveButton = Text(key: "identity.page.consent.approve", english: "Agree and continue")
    static let denyButton = Text(key: "identity.page.consent.deny", english: "Cancel")
    static let errorTitle = Text(key: "identity.page.error.title", english: "This login cannot continue")
    static let errorAdvice = Text(key: "identity.page.error.advice", english: "Go back to the service you came from and start again.")

    /// A whole page with the platform's headers: no caching, no framing, no scripts.
    static func response(title: Text, body: String, status: HTTPResponse.Status = .ok, extraHeaders: HTTPFields = [:]) -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title.english))</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
            h1 { font-size: 1.4rem; } label { display: block; margin: 0.8rem 0; } input { display: block; width: 100%; padding: 0.5rem; font-size: 1rem; }
            button { padding: 0.6rem 1.2rem; font-size: 1rem; margin-right: 0.5rem; } .error { color: #a00000; font-weight: 600; }
            fieldset { border: none; padding: 0; } label.choice input { display: inline; width: auto; margin-right: 0.5rem; }
            </style>
            </head>
            <body>
            <main>
            <h1 data-key="\(title.key)">\(escape(title.english))</h1>
            \(body)
            </main>
            </body>
            </html>
            """
        var headers = extraHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        headers[.xFrameOptions] = "DENY"
        headers[.referrerPolicy] = "same-origin"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// `text` in a paragraph with its key.
    static func paragraph(_ text: Text, prefix: String = "", className: String? = nil) -> String {
        let classAttribute = className.map { " class=\"\($0)\"" } ?? ""
        return "<p\(classAttribute)>\(escape(prefix))<span data-key=\"\(text.key)\">\(escape(text.english))</span></p>"
    }

    /// A hidden form field.
    static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(escape(name))\" value=\"\(escape(value))\">"
    }

    /// `text` with the five HTML-special characters escaped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
