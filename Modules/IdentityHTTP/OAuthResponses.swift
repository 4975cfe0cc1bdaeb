import HTTPTypes
import Hummingbird
import Identity
import Logging
import SmartNationCore
import SmartNationHTTP

/// OAuth endpoints answer refusals in RFC 6749 §5.2 form — `error` and `error_description` — which
/// OAuth client libraries read, plus the platform's stable `code` and `message_key`.
func oauthErrorResponse(_ error: SmartNationError) -> Response {
    var headers: HTTPFields = [:]
    if error.httpStatus == 401 {
        headers[.wwwAuthenticate] = error.oauthError == "invalid_client"
            ? #"Basic realm="smartnation""#
            : #"DPoP error="\#(error.oauthError)", algs="ES256""#
    }
    let body: JSONValue = .object([
        "error": .string(error.oauthError),
        "error_description": .string(error.clientParameters["reason"] ?? error.code.rawValue),
        "code": .string(error.code.rawValue),
        "message_key": .string(error.messageKey),
    ])
    return jsonResponse(body, status: .init(code: error.httpStatus), headers: headers)
}

/// Runs an OAuth endpoint's handler, answering its refusals in OAuth form; a server failure's
/// cause goes to the log, not to the client.
func oauthEndpoint(_ body: () async throws(SmartNationError) -> Response) async -> Response {
    do {
        return try await body()
    } catch {
        if error.httpStatus >= 500 {
            oauthLogger.error("OAuth endpoint failed", metadata: ["error": "\(error)", "at": "\(error.file):\(error.line)"])
        }
        return oauthErrorResponse(error)
    }
}

/// Where the OAuth endpoints log the server failures they answer themselves.
private let oauthLogger = Logger(label: "sg.smartnation.identity.oauth")
