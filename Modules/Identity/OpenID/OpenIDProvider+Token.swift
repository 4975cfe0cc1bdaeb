import Foundation
import GRDB
import SmartNationCore

/// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
public struct TokenResponse: Sendable, Hashable {
    /// The access token.
    public let accessToken: String
    /// `DPoP` when the access token is bound to a DPoP key, otherwise `Bearer`.
    public let tokenType: String
    /// Seconds until the access token expires.
    public let expiresIn: Int
    /// The new refresh token; the one presented (if any) is now spent.
    public let refreshToken: String
    /// The signed ID token.
    public let idToken: String
    /// The granted scopes.
    public let scope: String

    /// The JSON body of the response.
    public var json: JSONValue {
        .object([
            "access_token": .string(accessToken), "token_type": .string(tokenType), "expires_in": .integer(Int64(expiresIn)),
            "refresh_token": .string(refreshToken), "id_token": .string(idToken), "scope": .string(scope),
        ])
    }
}

/// A grant as stored: one consented authentication of one citizen at one client.
struct GrantRecord: Sendable {
    let grantID: String
    let clientID: String
    let subject: String
    let scopes: ScopeSet
    let methods: [String]
    let authTime: Date
    let revoked: Bool
    let entityUEN: String?

    init(row: Row) {
        grantID = row["grant_id"]
        clientID = row["client_id"]
        subject = row["subject"]
        scopes = (try? ScopeSet(parsing: row["scopes"])) ?? ScopeSet(attributes: [])
        methods = (row["methods"] as String).split(separator: " ").map(String.init)
        authTime = Date(timeIntervalSince1970: row["auth_time"])
        revoked = row["grant_revoked_at"] as Double? != nil
        entityUEN = row["entity_uen"]
    }

    static let columns = "g.grant_id, g.client_id, g.subject, g.scopes, g.methods, g.auth_time, g.entity_uen, g.revoked_at AS grant_revoked_at"
    /// The grant's citizen record, read in the same query as the grant (`ci.record AS citizen_record`).
    static let citizenJoin = "LEFT JOIN citizen ci ON ci.subject = g.subject"
}

/// What every grant at the token endpoint starts from: the authenticated client, the DPoP key the
/// tokens will be bound to, and the single-use `jti`s of the assertion and the proof — checked when
/// the grant is read and claimed in the transaction that issues the tokens.
struct TokenRequest: Sendable {
    let client: OpenIDClient
    let jkt: String?
    let replayKeys: [SingleUseKey]

    /// Refuses the request when one of its `jti`s was claimed before.
    func refuseReplay(in db: Database) throws {
        if let replayed = try ReplayGuard.firstClaimed(of: replayKeys, in: db) { throw replayed.refusal }
    }
}

extension OpenIDProvider {
    /// The token endpoint: the authorization code, refresh token and device code grants.
    ///
    /// A request costs one read and one write: the grant, its citizen and the replay check are read
    /// together, and the `jti`s, the spent code or refresh token and the new tokens commit together.
    /// A refused request claims its `jti`s in the transaction that audits the refusal.
    public func token(form: [String: String], credentials: ClientCredentials, dpopProof: String?) async throws(SmartNationError) -> TokenResponse {
        try await audited(endpoint: "token", clientID: credentials.basic?.clientID ?? credentials.clientID) { (replayKeys: inout [SingleUseKey]) async throws(SmartNationError) in
            let authenticated = try await authenticator.verify(credentials)
            if let key = authenticated.replayKey { replayKeys.append(key) }
            var jkt: String?
            if let dpopProof {
                let proof = try dpop.check(dpopProof, method: "POST", url: settings.tokenEndpoint)
                replayKeys.append(proof.replayKey)
                jkt = proof.jkt
            } else if authenticated.client.dpopBoundAccessTokens {
                throw .oauth(.oauthDPoPProofInvalid, "invalid_dpop_proof", "this client's tokens are DPoP-bound: send a DPoP proof")
            }
            let request = TokenRequest(client: authenticated.client, jkt: jkt, replayKeys: replayKeys)
            switch form["grant_type"] {
            case "authorization_code": return try await exchangeCode(form: form, request: request)
            case "refresh_token": return try await refresh(form: form, request: request)
            case DeviceGrant.grantType: return try await exchangeDeviceCode(form: form, request: request)
            default: throw .oauth(.oauthGrantTypeUnsupported, "unsupported_grant_type", "grant_type is not supported")
            }
        }
    }

    private func exchangeCode(form: [String: String], request: TokenRequest) async throws(SmartNationError) -> TokenResponse {
        guard let code = form["code"], let redirectURI = form["redirect_uri"], let verifier = form["code_verifier"] else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "code, redirect_uri and code_verifier are required")
        }
        let now = clock()
        let codeHash = RandomToken.hash(code)
        let row = try await readGrant(request, sql: """
            SELECT c.redirect_uri, c.code_challenge, c.nonce, c.dpop_jkt, c.expires_at, c.used_at, \(GrantRecord.columns), ci.record AS citizen_record
            FROM oidc_authorization_code c JOIN oidc_grant g ON g.grant_id = c.grant_id \(GrantRecord.citizenJoin) WHERE c.code_hash = ?
            """, arguments: [codeHash])
        guard let row else { throw .oauth(.oauthCodeInvalid, "invalid_grant", "the code is unknown") }
        let grant = GrantRecord(row: row)
        guard grant.clientID == request.client.clientID else { throw .oauth(.oauthCodeInvalid, "invalid_grant", "the code was issued to another client") }
        if row["used_at"] as Double? != nil {
            try await revokeGrant(grant.grantID, at: now)
            throw .oauth(.oauthCodeReused, "invalid_grant", "the code was already used; the tokens it issued are revoked")
        }
        guard row["expires_at"] as Double > now.timeIntervalSince1970, !grant.revoked else {
            throw .oauth(.oauthCodeInvalid, "invalid_grant", "the code has expired")
        }
        guard row["redirect_uri"] as String == redirectURI else {
            throw .oauth(.oauthCodeInvalid, "invalid_grant", "redirect_uri differs from the authorization request's")
        }
        guard PKCE.verify(verifier, against: row["code_challenge"]) else {
            throw .oauth(.oauthPKCEMismatch, "invalid_grant", "the code_verifier does not match the code_challenge")
        }
        if let boundKey = row["dpop_jkt"] as String?, boundKey != request.jkt {
            throw .oauth(.oauthDPoPKeyMismatch, "invalid_dpop_proof", "the code is bound to another DPoP key")
        }
        return try await issueTokens(for: grant, citizenRecord: row["citizen_record"], request: request, nonce: row["nonce"], now: now) { db in
            try db.cachedStatement(sql: "UPDATE oidc_authorization_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL")
                .execute(arguments: [now.timeIntervalSince1970, codeHash])
            guard db.changesCount == 1 else {
                throw SmartNationError.oauth(.oauthCodeReused, "invalid_grant", "the code was used meanwhile")
            }
        }
    }

    private func refresh(form: [String: String], request: TokenRequest) async throws(SmartNationError) -> TokenResponse {
        guard let token = form["refresh_token"], token.utf8.count <= 128 else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "refresh_token is required")
        }
        let now = clock()
        let hash = RandomToken.hash(token)
        let row = try await readGrant(request, sql: """
            SELECT t.expires_at, t.rotated_at, t.revoked_at, \(GrantRecord.columns), ci.record AS citizen_record
            FROM oidc_token t JOIN oidc_grant g ON g.grant_id = t.grant_id \(GrantRecord.citizenJoin) WHERE t.token_hash = ? AND t.kind = 'refresh'
            """, arguments: [hash])
        guard let row else { throw .oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token is unknown") }
        let grant = GrantRecord(row: row)
        guard grant.clientID == request.client.clientID else {
            throw .oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token was issued to another client")
        }
        if row["rotated_at"] as Double? != nil, !grant.revoked {
            try await revokeGrant(grant.grantID, at: now)
            throw .oauth(.oauthRefreshTokenReused, "invalid_grant", "the refresh token was already used; its family is revoked")
        }
        guard !grant.revoked, row["revoked_at"] as Double? == nil, row["rotated_at"] as Double? == nil,
              row["expires_at"] as Double > now.timeIntervalSince1970 else {
            throw .oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token is expired or revoked")
        }
        return try await issueTokens(for: grant, citizenRecord: row["citizen_record"], request: request, nonce: nil, now: now) { db in
            try db.cachedStatement(sql: "UPDATE oidc_token SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL")
                .execute(arguments: [now.timeIntervalSince1970, hash])
            guard db.changesCount == 1 else {
                throw SmartNationError.oauth(.oauthRefreshTokenReused, "invalid_grant", "the refresh token was used meanwhile")
            }
        }
    }

    /// Reads the one row a grant needs, refusing first a request whose `jti`s were claimed before.
    private func readGrant(_ request: TokenRequest, sql: String, arguments: StatementArguments) async throws(SmartNationError) -> Row? {
        do {
            return try database.read { db in
                try request.refuseReplay(in: db)
                return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
            }
        } catch {
            throw .storage(error)
        }
    }

    /// Signs an ID token and stores a new access and refresh token under `grant`, in one transaction
    /// with the request's `jti`s and `spend` (which marks the code or refresh token used).
    func issueTokens(
        for grant: GrantRecord, citizenRecord: Data?, request: TokenRequest, nonce: String?, now: Date,
        spend: @escaping @Sendable (Database) throws -> Void
    ) async throws(SmartNationError) -> TokenResponse {
        guard let citizen = try citizenRecord.map(decodedCitizens.citizen(from:)), citizen.status == .active else {
            try await revokeGrant(grant.grantID, at: now)
            throw .oauth(.oauthAccessDenied, "invalid_grant", "the citizen's account is closed")
        }
        let attributes = try await claims(of: grant, citizen: citizen)
        let issuedAt = Int(now.timeIntervalSince1970)
        let claims = IDTokenClaims(
            issuer: settings.issuer, subject: grant.subject, audience: request.client.clientID, issuedAt: issuedAt,
            expiresAt: issuedAt + Int(settings.accessTokenLifetime), authTime: Int(grant.authTime.timeIntervalSince1970),
            nonce: nonce, authenticationMethods: grant.methods, attributes: attributes)
        let idToken = try signingKeys.sign(claims)
        let accessToken = RandomToken.make(byteCount: 32)
        let refreshToken = RandomToken.make(byteCount: 32)
        let settings = settings
        do {
            try await database.write { db in
                if let replayed = try ReplayGuard.claim(request.replayKeys, in: db) { throw replayed.refusal }
                try spend(db)
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO oidc_token (token_hash, kind, grant_id, jkt, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                    """)
                try insert.execute(arguments: [
                    RandomToken.hash(accessToken), "access", grant.grantID, request.jkt, now.timeIntervalSince1970,
                    now.timeIntervalSince1970 + settings.accessTokenLifetime,
                ])
                try insert.execute(arguments: [
                    RandomToken.hash(refreshToken), "refresh", grant.grantID, nil, now.timeIntervalSince1970,
                    now.timeIntervalSince1970 + settings.refreshTokenLifetime,
                ])
            }
        } catch {
            throw .storage(error)
        }
        return TokenResponse(
            accessToken: accessToken, tokenType: request.jkt == nil ? "Bearer" : "DPoP", expiresIn: Int(settings.accessTokenLifetime),
            refreshToken: refreshToken, idToken: idToken, scope: grant.scopes.text)
    }

    /// The consented attributes of the grant's citizen and, for a business login, the `entity`
    /// claim — checked again, so a withdrawn authority issues nothing.
    func claims(of grant: GrantRecord, citizen: Citizen) async throws(SmartNationError) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [:]
        for attribute in grant.scopes.attributes {
            claims[attribute.rawValue] = attribute.claim(of: citizen)
        }
        if let uen = grant.entityUEN {
            let representation = try await businesses.representation(uen: uen, subject: grant.subject)
            claims["entity"] = .object(representation.claim.mapValues(JSONValue.string))
        }
        return claims
    }

    /// Revokes a grant and so every token issued under it.
    func revokeGrant(_ grantID: String, at now: Date) async throws(SmartNationError) {
        do {
            try await database.write { db in
                try db.execute(sql: "UPDATE oidc_grant SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
                               arguments: [now.timeIntervalSince1970, grantID])
            }
        } catch {
            throw .storage(error)
        }
    }
}
