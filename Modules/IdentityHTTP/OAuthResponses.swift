import HTTPTypes
import Hummingbird
import Identity
import Logging
import SmartNationCore
import SmartNationHTTP

/// OAuth endpoints answer refusals in RFC 6749 §5.2 form — `error` and `error_description` — which
/// OAuth client libraries read, plus the platform's stable `code` and `message_key`. A 401 carries
/// `challenge` as its `WWW-Authenticate`, by default `Basic` for a client's authentication and a
/// `DPoP` challenge otherwise.
func oauthErrorResponse(_ error: SmartNationError, challenge: String? = nil) -> Response {
    var headers: HTTPFields = [:]
    if error.httpStatus == 401 {
        headers[.wwwAuthenticate] = challenge ?? (error.oauthError == "invalid_client"
            ? #"Basic realm="smartnation""#
            : resourceChallenge(for: error, scheme: "DPoP"))
    }
    let body: JSONValue = .object([
        "error": .string(error.oauthError),
        "error_description": .string(error.clientParameters["reason"] ?? error.code.rawValue),
        "code": .string(error.code.rawValue),
        "message_key": .string(error.messageKey),
    ])
    return jsonResponse(body, status: .init(code: error.httpStatus), headers: headers)
}

/// Runs an OAuth endpoint's handler, answering its refusals in OAuth form, a 401 with the
/// `challenge` made for it (the default when that gives `nil`); a server failure's cause goes to the
/// log, not to the client.
func oauthEndpoint(
    challenge: (SmartNationError) -> String? = { _ in nil }, _ body: () async throws(SmartNationError) -> Response
) async -> Response {
    do {
        return try await body()
    } catch {
        if error.httpStatus >= 500 {
            oauthLogger.error("OAuth endpoint failed", metadata: ["error": "\(error)", "at": "\(error.file):\(error.line)"])
        }
        return oauthErrorResponse(error, challenge: challenge(error))
    }
}

/// The `WWW-Authenticate` challenge of a refused request for a protected resource that presented
/// its token with `scheme` (`nil`: no token at all): RFC 6750 §3 for `Bearer`, RFC 9449 §7.1 for
/// `DPoP`. A request with no token gets no error code (RFC 6750 §3.1), only the scheme to use.
func resourceChallenge(for error: SmartNationError, scheme: String?) -> String {
    guard let scheme else { return #"DPoP algs="ES256""# }
    if scheme.lowercased() == "bearer" { return #"Bearer error="\#(error.oauthError)""# }
    return #"DPoP error="\#(error.oauthError)", algs="ES256""#
}

/// Where the OAuth endpoints log the server failures they answer themselves.
private let oauthLogger = Logger(label: "sg.smartnation.identity.oauth")
