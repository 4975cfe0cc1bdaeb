import SmartNationCore

extension SmartNationError {
    /// An OAuth 2.0 / OpenID Connect refusal: a stable `identity.oauth.*` code, and the RFC 6749 §5.2
    /// `error` value (`invalid_grant`, `invalid_client`, …) that OAuth clients branch on, carried as
    /// the `oauth_error` parameter so the HTTP layer can answer in the form clients expect.
    static func oauth(
        _ code: Code,
        _ oauthError: String,
        httpStatus: Int = 400,
        _ description: String,
        file: String = #fileID,
        line: Int = #line
    ) -> SmartNationError {
        SmartNationError(code, parameters: ["oauth_error": oauthError, "reason": description], httpStatus: httpStatus, file: file, line: line)
    }

    /// The RFC 6749 `error` value of an OAuth refusal; `invalid_request` for other errors, or
    /// `server_error` when the platform itself failed.
    public var oauthError: String {
        if let value = parameters["oauth_error"] { return value }
        return httpStatus >= 500 ? "server_error" : "invalid_request"
    }
}

/// The OpenID provider's refusals. Each is audited as `sg.smartnation.identity.oauth.rejected`.
extension SmartNationError.Code {
    /// A request parameter is missing, repeated or malformed.
    public static let oauthRequestInvalid = Self("identity.oauth.request_invalid")
    /// No client is registered under this id, or it has been removed.
    public static let oauthClientUnknown = Self("identity.oauth.client_unknown")
    /// The client did not authenticate, or used a method it is not registered for.
    public static let oauthClientAuthenticationMissing = Self("identity.oauth.client_authentication_missing")
    /// A client secret is wrong.
    public static let oauthClientSecretWrong = Self("identity.oauth.client_secret_wrong")
    /// A client assertion is not a JWT signed by one of the client's registered keys.
    public static let oauthClientAssertionSignature = Self("identity.oauth.client_assertion_signature")
    /// A client assertion's `aud` is not this provider's issuer.
    public static let oauthClientAssertionAudience = Self("identity.oauth.client_assertion_audience")
    /// A client assertion has expired, is not yet valid, or lives longer than two minutes.
    public static let oauthClientAssertionExpired = Self("identity.oauth.client_assertion_expired")
    /// A client assertion's `iss` or `sub` is not the client id, or it lacks `jti`.
    public static let oauthClientAssertionClaims = Self("identity.oauth.client_assertion_claims")
    /// A client assertion's `jti` has been used before.
    public static let oauthClientAssertionReplayed = Self("identity.oauth.client_assertion_replayed")
    /// The redirect URI is not one the client registered, character for character.
    public static let oauthRedirectURIUnregistered = Self("identity.oauth.redirect_uri_unregistered")
    /// A scope is unknown or not allowed for the client, or `openid` is missing.
    public static let oauthScopeInvalid = Self("identity.oauth.scope_invalid")
    /// `response_type` is not `code`.
    public static let oauthResponseTypeUnsupported = Self("identity.oauth.response_type_unsupported")
    /// The grant type is not supported or not allowed for the client.
    public static let oauthGrantTypeUnsupported = Self("identity.oauth.grant_type_unsupported")
    /// PKCE is missing or does not use S256.
    public static let oauthPKCERequired = Self("identity.oauth.pkce_required")
    /// The code verifier does not match the code challenge.
    public static let oauthPKCEMismatch = Self("identity.oauth.pkce_mismatch")
    /// The authorization request did not come through the pushed authorization endpoint.
    public static let oauthPushedRequestRequired = Self("identity.oauth.pushed_request_required")
    /// A `request_uri` is unknown, expired, already used or belongs to another client.
    public static let oauthRequestURIInvalid = Self("identity.oauth.request_uri_invalid")
    /// An authorization code is unknown, expired, or was issued to another client or redirect URI.
    public static let oauthCodeInvalid = Self("identity.oauth.code_invalid")
    /// An authorization code was used twice; what it issued has been revoked.
    public static let oauthCodeReused = Self("identity.oauth.code_reused")
    /// A refresh token is unknown, expired or revoked.
    public static let oauthRefreshTokenInvalid = Self("identity.oauth.refresh_token_invalid")
    /// A rotated-out refresh token was presented again; its whole family has been revoked.
    public static let oauthRefreshTokenReused = Self("identity.oauth.refresh_token_reused")
    /// An access token is unknown, expired or revoked.
    public static let oauthAccessTokenInvalid = Self("identity.oauth.access_token_invalid")
    /// An ID token presented for verification is not a JWT, or its signature does not verify against
    /// any key in the provider's JWKS: it was altered after signing, or signed by another key.
    public static let oauthIDTokenSignatureInvalid = Self("identity.oauth.id_token_signature_invalid")
    /// An ID token with a good signature is for another issuer or audience, or has expired.
    public static let oauthIDTokenInvalid = Self("identity.oauth.id_token_invalid")
    /// A DPoP proof is missing where required, malformed, for another method or URL, outside its
    /// time window, or without the access token's hash.
    public static let oauthDPoPProofInvalid = Self("identity.oauth.dpop_proof_invalid")
    /// A DPoP proof's signature does not verify against the key in its own header: it was altered
    /// after signing, or signed by another key.
    public static let oauthDPoPSignatureInvalid = Self("identity.oauth.dpop_signature_invalid")
    /// A DPoP proof's key is not the one the token or code is bound to.
    public static let oauthDPoPKeyMismatch = Self("identity.oauth.dpop_key_mismatch")
    /// A DPoP proof's `jti` has been used before.
    public static let oauthDPoPProofReplayed = Self("identity.oauth.dpop_proof_replayed")
    /// A client registration is invalid (redirect URIs, scopes, keys).
    public static let oauthClientMetadataInvalid = Self("identity.oauth.client_metadata_invalid")
    /// The citizen denied the request.
    public static let oauthAccessDenied = Self("identity.oauth.access_denied")
    /// The device authorization is still waiting for the citizen.
    public static let oauthAuthorizationPending = Self("identity.oauth.authorization_pending")
    /// The device polled faster than the interval allows.
    public static let oauthSlowDown = Self("identity.oauth.slow_down")
    /// The device code has expired.
    public static let oauthDeviceCodeExpired = Self("identity.oauth.device_code_expired")
    /// A user code is unknown, expired or already decided.
    public static let oauthUserCodeInvalid = Self("identity.oauth.user_code_invalid")
    /// The citizen entered too many wrong user codes; refused until the `until` parameter.
    public static let oauthUserCodeAttemptsExceeded = Self("identity.oauth.user_code_attempts_exceeded")
    /// No consent of this citizen for this client.
    public static let oauthConsentNotFound = Self("identity.oauth.consent_not_found")
    /// The client has as many pushed requests, or device codes, pending as it may
    /// (``OpenIDSettings/pendingPerClientMax``): it must use or let some expire first.
    public static let oauthPendingLimitReached = Self("identity.oauth.pending_limit_reached")
    /// A login or consent form was posted without the anti-forgery token this browser was given
    /// with the page, or from another site: a cross-site request forgery, or a page left open past
    /// its cookie.
    public static let oauthFormTokenInvalid = Self("identity.oauth.form_token_invalid")
}
