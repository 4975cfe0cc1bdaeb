import Foundation
import SmartNationCore

/// A validated authorization request, as pushed to the PAR endpoint and waiting for the citizen.
public struct AuthorizationRequest: Sendable, Hashable, Codable {
    /// The client.
    public let clientID: String
    /// The registered redirect URI the response goes to.
    public let redirectURI: String
    /// What is asked for.
    public let scopes: ScopeSet
    /// The client's `state`, echoed in the response.
    public let state: String?
    /// The client's `nonce`, echoed in the ID token.
    public let nonce: String?
    /// The PKCE S256 code challenge.
    public let codeChallenge: String
    /// The DPoP key the PAR request proved, to which the code is bound.
    public let dpopJKT: String?
    /// What the client asked of the login and consent pages (OpenID Connect Core §3.1.2.1
    /// `prompt`); `nil` when it asked nothing.
    public let prompt: Set<Prompt>?
    /// The longest time since the citizen last logged in that the client accepts, in seconds
    /// (`max_age`); an older session logs in again.
    public let maxAge: Int?
    /// When the request was pushed: a login after it answers `prompt=login`. (`nil` for a request
    /// pushed before this was recorded.)
    public let pushedAt: Date?

    /// A `prompt` value.
    public enum Prompt: String, Sendable, Hashable, Codable {
        /// Show no page: answer `login_required` or `consent_required` when one would be needed.
        case none
        /// Log in again, whatever session the browser holds.
        case login
        /// Show the consent page, even for attributes consented before.
        case consent
        /// Let the citizen choose the account: here, log in again, as for ``login``.
        case selectAccount = "select_account"
    }

    /// The longest `state` or `nonce` accepted.
    public static let opaqueValueLengthMax = 512
    /// The largest `max_age` accepted: a year, in seconds.
    public static let maxAgeMax = 366 * 86_400

    /// Validates a pushed request's form against the client's registration; it is pushed at `pushedAt`.
    init(form: [String: String], client: OpenIDClient, dpopJKT: String?, pushedAt: Date) throws(SmartNationError) {
        guard form["request_uri"] == nil, form["request"] == nil else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "request and request_uri are not accepted at the PAR endpoint")
        }
        guard form["response_type"] == "code" else {
            throw .oauth(.oauthResponseTypeUnsupported, "unsupported_response_type", "response_type must be code")
        }
        guard let redirectURI = form["redirect_uri"], client.redirectURIs.contains(redirectURI) else {
            throw .oauth(.oauthRedirectURIUnregistered, "invalid_request", "redirect_uri is not registered for this client")
        }
        let scopes = try ScopeSet(parsing: form["scope"] ?? "")
        guard scopes.attributes.isSubset(of: client.allowedAttributes) else {
            let refused = scopes.attributes.subtracting(client.allowedAttributes).sorted().map(\.rawValue).joined(separator: " ")
            throw .oauth(.oauthScopeInvalid, "invalid_scope", "the client may not ask for \(refused)")
        }
        guard form["code_challenge_method"] == "S256", let challenge = form["code_challenge"], PKCE.isWellFormed(challenge: challenge) else {
            throw .oauth(.oauthPKCERequired, "invalid_request", "PKCE with code_challenge_method S256 is required")
        }
        for name in ["state", "nonce"] {
            if let value = form[name], value.isEmpty || value.utf8.count > Self.opaqueValueLengthMax {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "\(name) must be 1 to \(Self.opaqueValueLengthMax) bytes")
            }
        }
        if let named = form["client_id"], named != client.clientID {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "client_id differs from the authenticated client")
        }
        // A parameter sent without a value is as if omitted (RFC 6749 §3.1).
        prompt = try form["prompt"].flatMap { $0.isEmpty ? nil : $0 }.map(Self.prompts)
        maxAge = try form["max_age"].flatMap { $0.isEmpty ? nil : $0 }.map { (text: String) throws(SmartNationError) -> Int in
            guard text.utf8.count <= 10, text.utf8.allSatisfy({ (48...57).contains($0) }), let seconds = Int(text), seconds <= Self.maxAgeMax else {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "max_age must be a whole number of seconds from 0 to \(Self.maxAgeMax)")
            }
            return seconds
        }
        clientID = client.clientID
        self.redirectURI = redirectURI
        self.scopes = scopes
        state = form["state"]
        nonce = form["nonce"]
        codeChallenge = challenge
        self.dpopJKT = dpopJKT
        self.pushedAt = pushedAt
    }

    private static let promptInvalid = SmartNationError.oauth(
        .oauthRequestInvalid, "invalid_request", "prompt holds none, login, consent or select_account")

    /// The space-separated `prompt` values; `none` only alone.
    private static func prompts(_ text: String) throws(SmartNationError) -> Set<Prompt> {
        var prompts = Set<Prompt>()
        for word in text.split(separator: " ") {
            guard let value = Prompt(rawValue: String(word)) else {
                throw promptInvalid
            }
            prompts.insert(value)
        }
        guard !prompts.isEmpty else {
            throw promptInvalid
        }
        guard !prompts.contains(.none) || prompts.count == 1 else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "prompt=none stands alone")
        }
        return prompts
    }

    /// Whether the citizen must log in for this request, though their browser holds a session
    /// opened at `sessionOpenedAt`: asked to (`prompt=login` or `select_account`) and the session was
    /// opened before the request was pushed, or the session is older than `max_age` at `now`.
    public func asksForLogin(sessionOpenedAt: Date, now: Date) -> Bool {
        if let prompt, !prompt.isDisjoint(with: [.login, .selectAccount]), sessionOpenedAt < (pushedAt ?? .distantFuture) { return true }
        if let maxAge { return now.timeIntervalSince(sessionOpenedAt) > TimeInterval(maxAge) }
        return false
    }

    /// Whether the client asked that no page be shown (`prompt=none`).
    public var forbidsPages: Bool { prompt == [.none] }

    /// Whether the client asked for the consent page even where consent stands (`prompt=consent`).
    public var asksForConsent: Bool { prompt?.contains(.consent) == true }
}

/// RFC 7636 PKCE with S256.
enum PKCE {
    /// A challenge is the base64url SHA-256 of a verifier: 43 characters.
    static func isWellFormed(challenge: String) -> Bool {
        challenge.utf8.count == 43 && Data(base64URLEncoded: challenge)?.count == 32
    }

    /// Whether `verifier` (43 to 128 unreserved characters) hashes to `challenge`.
    static func verify(_ verifier: String, against challenge: String) -> Bool {
        guard (43...128).contains(verifier.utf8.count), verifier.utf8.allSatisfy(\.isURIUnreserved) else { return false }
        let computed = RandomToken.hashBase64URL(verifier)
        return constantTimeEquals(Array(computed.utf8), Array(challenge.utf8))
    }
}
