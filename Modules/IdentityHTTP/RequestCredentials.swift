import Foundation
import HTTPTypes
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

extension Request {
    /// The client credentials of an OAuth request: HTTP Basic (RFC 6749 §2.3.1, both parts
    /// form-decoded) and the form's `client_id` and client assertion.
    func clientCredentials(form: [String: String]) throws(SmartNationError) -> ClientCredentials {
        var credentials = ClientCredentials(
            clientID: form["client_id"], assertionType: form["client_assertion_type"], assertion: form["client_assertion"])
        if let authorization = headers[.authorization], authorization.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                  let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                  let id = FormURLEncoding.decode(text[..<colon].utf8), let secret = FormURLEncoding.decode(text[text.index(after: colon)...].utf8) else {
                throw SmartNationError(.oauthClientAuthenticationMissing, parameters: ["oauth_error": "invalid_client", "reason": "malformed Basic credentials"], httpStatus: 401)
            }
            credentials.basic = (id, secret)
        }
        return credentials
    }

    /// The single `DPoP` header, if any; two are refused with `refusalStatus` — 400 at the token
    /// endpoint, 401 at a protected resource (RFC 9449 §5 and §7.1).
    func dpopProof(refusalStatus: Int = 400) throws(SmartNationError) -> String? {
        let values = headers[values: .dpop]
        guard values.count <= 1 else {
            throw SmartNationError(
                .oauthDPoPProofInvalid, parameters: ["oauth_error": "invalid_dpop_proof", "reason": "one DPoP header only"], httpStatus: refusalStatus)
        }
        return values.first
    }

    /// The scheme and token of an `Authorization` header (`Bearer x`, `DPoP x`).
    func authorizationToken() -> (scheme: String, token: String)? {
        guard let value = headers[.authorization], let space = value.firstIndex(of: " ") else { return nil }
        let token = value[value.index(after: space)...].trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { return nil }
        return (String(value[..<space]), token)
    }
}

extension HTTPField.Name {
    /// RFC 9449's proof header.
    static let dpop = Self("DPoP")!
}
