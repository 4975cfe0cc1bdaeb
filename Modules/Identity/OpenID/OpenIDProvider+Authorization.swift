import Foundation
import GRDB
import SmartNationCore

/// The answer of the pushed authorization endpoint (RFC 9126 §2.2).
public struct PushedAuthorization: Sendable, Hashable {
    /// The `request_uri` the client sends the citizen's browser to the authorization endpoint with.
    public let requestURI: String
    /// Seconds until it expires.
    public let expiresIn: Int
}

/// A pushed request waiting for the citizen, with its client: what the login and consent pages show.
public struct PendingAuthorization: Sendable, Hashable {
    /// The `request_uri` it was pushed under.
    public let requestURI: String
    /// The request.
    public let request: AuthorizationRequest
    /// The client asking.
    public let client: OpenIDClient
}

/// A DPoP proof as a request carries it, with the method and URL it was sent to.
public struct DPoPEvidence: Sendable, Hashable {
    /// The `DPoP` header's value.
    public var proof: String
    /// The HTTP method.
    public var method: String
    /// The endpoint's URL as the provider publishes it.
    public var url: String

    /// Evidence for `method` and `url`.
    public init(proof: String, method: String, url: String) {
        self.proof = proof
        self.method = method
        self.url = url
    }
}

extension OpenIDProvider {
    static let requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

    /// The pushed authorization endpoint: authenticates the client, validates the request and keeps
    /// it for ``OpenIDSettings/pushedRequestLifetime``.
    ///
    /// The code is bound to a DPoP key (RFC 9449 §10) by the request's DPoP proof, or by its
    /// `dpop_jkt` parameter — the key's RFC 7638 thumbprint — when it carries no proof; with both,
    /// they must name the same key.
    public func pushAuthorizationRequest(
        form: [String: String], credentials: ClientCredentials, dpopProof: String?
    ) async throws(SmartNationError) -> PushedAuthorization {
        try await audited(endpoint: "par", credentials: credentials) { (audit: inout RequestAudit) async throws(SmartNationError) in
            let client = try await authenticate(credentials, recordingIn: &audit)
            var jkt = form["dpop_jkt"]
            if let named = jkt, !RandomToken.isWellFormed(named) {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "dpop_jkt is the base64url SHA-256 thumbprint of the DPoP key")
            }
            if let dpopProof {
                let proven = try await dpop.verify(dpopProof, method: "POST", url: settings.pushedAuthorizationEndpoint)
                guard jkt == nil || jkt == proven else {
                    throw .oauth(.oauthDPoPKeyMismatch, "invalid_dpop_proof", "dpop_jkt names another key than the DPoP proof's")
                }
                jkt = proven
            }
            let now = clock()
            let request = try AuthorizationRequest(form: form, client: client, dpopJKT: jkt, pushedAt: now)
            let requestURI = Self.requestURIPrefix + RandomToken.make(byteCount: 32)
            let record = try Self.encode(request)
            do {
                try await database.write { db in
                    let pending = try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM oidc_pushed_request WHERE client_id = ? AND used = 0 AND expires_at > ?",
                        arguments: [client.clientID, now.timeIntervalSince1970]) ?? 0
                    guard pending < settings.pendingPerClientMax else { throw Self.pendingLimitReached("pushed requests") }
                    try db.execute(
                        sql: "INSERT INTO oidc_pushed_request (request_uri, client_id, record, expires_at) VALUES (?, ?, ?, ?)",
                        arguments: [requestURI, client.clientID, record, now.timeIntervalSince1970 + settings.pushedRequestLifetime])
                }
            } catch {
                throw .storage(error)
            }
            return PushedAuthorization(requestURI: requestURI, expiresIn: Int(settings.pushedRequestLifetime))
        }
    }

    /// The pushed request behind `requestURI`, for the login and consent pages. Refuses requests
    /// that did not come through PAR, and unknown, expired, used or foreign `request_uri`s.
    public func pendingAuthorization(clientID: String?, requestURI: String?) async throws(SmartNationError) -> PendingAuthorization {
        try await audited(endpoint: "authorize", clientID: clientID) { () async throws(SmartNationError) in
            guard let requestURI, let clientID else {
                throw .oauth(.oauthPushedRequestRequired, "invalid_request", "authorization requests are pushed first (PAR): send client_id and request_uri")
            }
            return try await pending(clientID: clientID, requestURI: requestURI)
        }
    }

    /// The attributes of `pending` the citizen has not yet consented to share with its client.
    public func attributesNeedingConsent(_ pending: PendingAuthorization, subject: String) async throws(SmartNationError) -> Set<PersonAttribute> {
        let granted = try await consentedAttributes(subject: subject, clientID: pending.client.clientID)
        return pending.request.scopes.attributes.subtracting(granted)
    }

    /// Whether the consent page must be shown: the citizen has never consented to this client, or
    /// the request asks for attributes beyond the standing consent.
    public func consentRequired(_ pending: PendingAuthorization, subject: String) async throws(SmartNationError) -> Bool {
        let consents = try await consents(of: subject)
        guard let standing = consents.first(where: { $0.clientID == pending.client.clientID }) else { return true }
        return !pending.request.scopes.attributes.isSubset(of: standing.attributes)
    }

    /// Ends an authorization: on approval records the consent to what the citizen shares, issues a
    /// single-use code and returns the redirect (`code`, `state`, `iss`); on denial returns the
    /// `access_denied` redirect. The `request_uri` is used up either way. `entityUEN` is the
    /// business the citizen's session acts for; tokens then carry the `entity` claim.
    public func completeAuthorization(
        clientID: String, requestURI: String, subject: String, methods: [String], authenticatedAt: Date,
        decision: ConsentDecision, entityUEN: String? = nil
    ) async throws(SmartNationError) -> String {
        try await audited(endpoint: "authorize", clientID: clientID) { () async throws(SmartNationError) in
            let pending = try await pending(clientID: clientID, requestURI: requestURI)
            let request = pending.request
            let now = clock()
            var response = [("iss", settings.issuer)]
            if let state = request.state { response.append(("state", state)) }
            guard let scopes = decision.granted(from: request.scopes) else {
                return try await end(pending, error: "access_denied")
            }
            let code = RandomToken.makeTimeOrdered(at: now)
            do {
                try await database.write { db in
                    try Self.markUsed(requestURI, in: db)
                    let grantID = try Self.insertGrant(
                        clientID: clientID, subject: subject, scopes: scopes, methods: methods, authTime: authenticatedAt,
                        entityUEN: entityUEN, in: db)
                    try db.execute(
                        sql: """
                            INSERT INTO oidc_authorization_code (code_key, grant_id, redirect_uri, code_challenge, nonce, dpop_jkt, expires_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            code.storageKey, grantID, request.redirectURI, request.codeChallenge, request.nonce, request.dpopJKT,
                            now.timeIntervalSince1970 + settings.authorizationCodeLifetime,
                        ])
                    try Self.recordConsent(
                        subject: subject, clientID: clientID, requested: request.scopes.attributes, granted: scopes.attributes, now: now, in: db)
                }
            } catch {
                throw .storage(error)
            }
            return Self.redirect(request.redirectURI, [("code", code.token)] + response)
        }
    }

    /// Whether the citizen must log in for `pending`: their browser holds no session (`nil`), or one
    /// opened at `sessionOpenedAt` that the request does not accept (`prompt=login`, `max_age`).
    public func requiresLogin(_ pending: PendingAuthorization, sessionOpenedAt: Date?) -> Bool {
        guard let sessionOpenedAt else { return true }
        return pending.request.asksForLogin(sessionOpenedAt: sessionOpenedAt, now: clock())
    }

    /// Ends an authorization without a page, as `prompt=none` asks when one would be needed: the
    /// redirect with `error` — `login_required` or `consent_required` (OpenID Connect Core
    /// §3.1.2.6) — `state` and `iss`. The `request_uri` is used up.
    public func endWithoutPage(_ pending: PendingAuthorization, error: String) async throws(SmartNationError) -> String {
        assert(["login_required", "consent_required"].contains(error), "prompt=none ends only for want of a login or a consent")
        return try await audited(endpoint: "authorize", clientID: pending.client.clientID) { () async throws(SmartNationError) in
            try await end(pending, error: error)
        }
    }

    /// Uses up the request and returns its redirect with `error`, `state` and `iss`.
    private func end(_ pending: PendingAuthorization, error: String) async throws(SmartNationError) -> String {
        do {
            try await database.write { db in try Self.markUsed(pending.requestURI, in: db) }
        } catch {
            throw .storage(error)
        }
        var response = [("error", error), ("iss", settings.issuer)]
        if let state = pending.request.state { response.append(("state", state)) }
        return Self.redirect(pending.request.redirectURI, response)
    }

    private func pending(clientID: String, requestURI: String) async throws(SmartNationError) -> PendingAuthorization {
        let row = try database.fetchRow(sql: "SELECT client_id, record, expires_at, used FROM oidc_pushed_request WHERE request_uri = ?",
                    arguments: [requestURI])
        guard let row, row["client_id"] as String == clientID, row["used"] as Int == 0,
              row["expires_at"] as Double > clock().timeIntervalSince1970 else {
            throw .oauth(.oauthRequestURIInvalid, "invalid_request_uri", "the request_uri is unknown, expired, used, or not this client's")
        }
        guard let client = try await clients.client(id: clientID) else {
            throw .oauth(.oauthClientUnknown, "invalid_client", httpStatus: 401, "no such client")
        }
        return PendingAuthorization(requestURI: requestURI, request: try Self.decode(row["record"]), client: client)
    }

    private static func markUsed(_ requestURI: String, in db: Database) throws {
        try db.execute(sql: "UPDATE oidc_pushed_request SET used = 1 WHERE request_uri = ? AND used = 0", arguments: [requestURI])
        guard db.changesCount == 1 else {
            throw SmartNationError.oauth(.oauthRequestURIInvalid, "invalid_request_uri", "the request_uri was used meanwhile")
        }
    }

    /// Stores a new grant and returns its id: a UUIDv7 (``EventID``), so grants — and the
    /// `oidc_token_grant` and `oidc_authorization_code_grant` index entries of the codes and tokens
    /// issued under them moments later — land on their B-trees' last pages, not on random ones that
    /// each commit would write back. The id is internal: no client or citizen ever sees it.
    static func insertGrant(
        clientID: String, subject: String, scopes: ScopeSet, methods: [String], authTime: Date, entityUEN: String?, in db: Database
    ) throws -> String {
        let grantID = EventID.make()
        try db.execute(
            sql: "INSERT INTO oidc_grant (grant_id, client_id, subject, scopes, methods, auth_time, entity_uen) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [grantID, clientID, subject, scopes.text, methods.joined(separator: " "), authTime.timeIntervalSince1970, entityUEN])
        return grantID
    }

    /// `base`, a registered redirect URI, with `parameters` added to its query form-encoded; a query
    /// the URI was registered with is kept byte for byte (RFC 6749 §3.1.2).
    static func redirect(_ base: String, _ parameters: [(String, String)]) -> String {
        var components = URLComponents(string: base) ?? URLComponents()
        let added = parameters.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        if let registered = components.percentEncodedQuery, !registered.isEmpty {
            components.percentEncodedQuery = registered + "&" + added
        } else {
            components.percentEncodedQuery = added
        }
        return components.string ?? base
    }

    private static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private static func encode(_ request: AuthorizationRequest) throws(SmartNationError) -> Data {
        do { return try JSONEncoder().encode(request) } catch { throw .storage(error) }
    }

    private static func decode(_ record: Data) throws(SmartNationError) -> AuthorizationRequest {
        do { return try JSONDecoder().decode(AuthorizationRequest.self, from: record) } catch { throw .storage(error) }
    }
}
