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
///
/// Every query that reads a grant selects ``columns`` first and, when it joins the citizen,
/// ``citizenRecordIndex`` next; ``init(row:)`` reads them by position. The token endpoint reads a
/// grant on every request, and GRDB finds a column by name by lower-casing and comparing every
/// column's name in turn.
struct GrantRecord: Sendable {
    let grantID: String
    let clientID: String
    let subject: String
    let scopes: ScopeSet
    let methods: [String]
    let authTime: Date
    let revoked: Bool
    let entityUEN: String?

    /// The grant in the first ``columnCount`` columns of `row`.
    init(row: Row) {
        grantID = row[0]
        clientID = row[1]
        subject = row[2]
        scopes = (try? ScopeSet(parsing: row[3])) ?? ScopeSet(attributes: [])
        methods = (row[4] as String).split(separator: " ").map(String.init)
        authTime = Date(timeIntervalSince1970: row[5])
        entityUEN = row[6]
        revoked = row[7] as Double? != nil
    }

    /// When the grant ends, however its refresh token rotates: `auth_time` plus `lifetime`.
    func endsAt(lifetime: TimeInterval) -> Date {
        authTime.addingTimeInterval(lifetime)
    }

    /// The grant's columns, in the order ``init(row:)`` reads them.
    static let columns = "g.grant_id, g.client_id, g.subject, g.scopes, g.methods, g.auth_time, g.entity_uen, g.revoked_at"
    /// How many columns ``columns`` selects: a query's own columns start at this index.
    static let columnCount = columns.split(separator: ",").count
    /// The grant's columns and its citizen's record, read in the same query (with ``citizenJoin``).
    static let columnsWithCitizen = columns + ", ci.record"
    /// Where ``columnsWithCitizen`` puts the citizen's record; a query's own columns follow it.
    static let citizenRecordIndex = columnCount
    /// Joins the grant's citizen, for ``columnsWithCitizen``.
    static let citizenJoin = "LEFT JOIN citizen ci ON ci.subject = g.subject"
}

/// What every grant at the token endpoint starts from: the authenticated client, the DPoP key the
/// tokens will be bound to, and the single-use `jti`s of the assertion and the proof — claimed in
/// the transaction that redeems the grant.
struct TokenRequest: Sendable {
    let client: OpenIDClient
    let jkt: String?
    let replayKeys: [SingleUseKey]
}

/// A grant a token request may redeem — its code, refresh token or device code checked — with its
/// citizen's stored record, for the authorization code grant the ID token's `nonce`, and how to
/// spend what it was redeemed with once the citizen and their authority have been checked too.
struct RedeemedGrant: Sendable {
    let grant: GrantRecord
    let citizenRecord: Data?
    let nonce: String?
    let spend: @Sendable (Database) throws -> Void

    /// A grant read in `row` (with its citizen's record, ``GrantRecord/columnsWithCitizen``), to be spent by `spend`.
    init(grant: GrantRecord, row: Row, nonce: String? = nil, spend: @escaping @Sendable (Database) throws -> Void) {
        self.grant = grant
        citizenRecord = row[GrantRecord.citizenRecordIndex]
        self.nonce = nonce
        self.spend = spend
    }
}

/// How a grant's transaction ends: redeemable, or refused. A refusal commits what it changed — the
/// claimed `jti`s, a grant revoked because its code was reused, a device's last poll — and nothing
/// else: what it presented stays unspent.
typealias Redemption = Result<RedeemedGrant, SmartNationError>

extension OpenIDProvider {
    /// The token endpoint: the authorization code, refresh token and device code grants.
    ///
    /// A request costs one write transaction, shared with the requests waiting at the same time
    /// (``GroupCommit``), and no separate read: the `jti`s are claimed, the grant and its citizen
    /// read, the code or refresh token spent and the new tokens stored together on the writer's
    /// connection, whose page cache — unlike a reader's after a write — stays warm. The ID token is
    /// signed after the commit. A refused request is then audited, its `jti`s claimed. The shared
    /// transaction runs on the thread of the request whose turn it is, which it blocks meanwhile (a
    /// few statements): the daemon calls this from `RequestExecutor`'s threads.
    public func token(form: [String: String], credentials: ClientCredentials, dpopProof: String?) async throws(SmartNationError) -> TokenResponse {
        try await audited(endpoint: "token", credentials: credentials) { (audit: inout RequestAudit) async throws(SmartNationError) in
            let authenticated = try await authenticator.verify(credentials)
            audit.clientID = authenticated.client.clientID
            if let key = authenticated.replayKey { audit.replayKeys.append(key) }
            var jkt: String?
            if let dpopProof {
                let proof = try dpop.check(dpopProof, method: "POST", url: settings.tokenEndpoint)
                audit.replayKeys.append(proof.replayKey)
                jkt = proof.jkt
            } else if authenticated.client.dpopBoundAccessTokens {
                throw .oauth(.oauthDPoPProofInvalid, "invalid_dpop_proof", "this client's tokens are DPoP-bound: send a DPoP proof")
            }
            let request = TokenRequest(client: authenticated.client, jkt: jkt, replayKeys: audit.replayKeys)
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
        let codeKey = RandomToken.storageKey(code)
        let jkt = request.jkt
        return try await issueTokens(for: request) { db, now in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: Self.codeQuery), arguments: [codeKey])
            else { return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the code is unknown")) }
            let grant = GrantRecord(row: row)
            guard grant.clientID == request.client.clientID else {
                return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the code was issued to another client"))
            }
            if row[CodeColumn.usedAt] as Double? != nil {
                try Self.revokeGrant(grant.grantID, at: now, in: db)
                return .failure(.oauth(.oauthCodeReused, "invalid_grant", "the code was already used; the tokens it issued are revoked"))
            }
            guard !grant.revoked else {
                return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the code's login was revoked"))
            }
            guard row[CodeColumn.expiresAt] as Double > now.timeIntervalSince1970 else {
                return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the code has expired"))
            }
            guard row[CodeColumn.redirectURI] as String == redirectURI else {
                return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "redirect_uri differs from the authorization request's"))
            }
            guard PKCE.verify(verifier, against: row[CodeColumn.codeChallenge]) else {
                return .failure(.oauth(.oauthPKCEMismatch, "invalid_grant", "the code_verifier does not match the code_challenge"))
            }
            if let boundKey = row[CodeColumn.dpopJKT] as String?, boundKey != jkt {
                return .failure(.oauth(.oauthDPoPKeyMismatch, "invalid_dpop_proof", "the code is bound to another DPoP key"))
            }
            return .success(RedeemedGrant(grant: grant, row: row, nonce: row[CodeColumn.nonce]) { db in
                try db.cachedStatement(sql: "UPDATE oidc_authorization_code SET used_at = ? WHERE code_key = ?")
                    .execute(arguments: [now.timeIntervalSince1970, codeKey])
            })
        }
    }

    private func refresh(form: [String: String], request: TokenRequest) async throws(SmartNationError) -> TokenResponse {
        guard let token = form["refresh_token"], token.utf8.count <= 128 else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "refresh_token is required")
        }
        let tokenKey = RandomToken.storageKey(token)
        let grantLifetime = settings.grantLifetime
        return try await issueTokens(for: request) { db, now in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: Self.refreshTokenQuery), arguments: [tokenKey])
            else { return .failure(.oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token is unknown")) }
            let grant = GrantRecord(row: row)
            guard grant.clientID == request.client.clientID else {
                return .failure(.oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token was issued to another client"))
            }
            if row[RefreshTokenColumn.rotatedAt] as Double? != nil, !grant.revoked {
                try Self.revokeGrant(grant.grantID, at: now, in: db)
                return .failure(.oauth(.oauthRefreshTokenReused, "invalid_grant", "the refresh token was already used; its family is revoked"))
            }
            guard !grant.revoked, row[RefreshTokenColumn.revokedAt] as Double? == nil, row[RefreshTokenColumn.rotatedAt] as Double? == nil,
                  row[RefreshTokenColumn.expiresAt] as Double > now.timeIntervalSince1970 else {
                return .failure(.oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the refresh token is expired or revoked"))
            }
            guard grant.endsAt(lifetime: grantLifetime) > now else {
                return .failure(.oauth(.oauthRefreshTokenInvalid, "invalid_grant", "the login has reached its longest lifetime: log in again"))
            }
            return .success(RedeemedGrant(grant: grant, row: row) { db in
                try db.cachedStatement(sql: "UPDATE oidc_token SET rotated_at = ? WHERE token_key = ?")
                    .execute(arguments: [now.timeIntervalSince1970, tokenKey])
            })
        }
    }

    /// A code with its grant and citizen, by the code's storage key; built once, not per request.
    private static let codeQuery = """
        SELECT \(GrantRecord.columnsWithCitizen), c.redirect_uri, c.code_challenge, c.nonce, c.dpop_jkt, c.expires_at, c.used_at
        FROM oidc_authorization_code c JOIN oidc_grant g ON g.grant_id = c.grant_id \(GrantRecord.citizenJoin) WHERE c.code_key = ?
        """

    /// Where ``codeQuery`` puts the code's own columns, after the grant's and the citizen's.
    private enum CodeColumn {
        static let redirectURI = GrantRecord.citizenRecordIndex + 1
        static let codeChallenge = redirectURI + 1
        static let nonce = redirectURI + 2
        static let dpopJKT = redirectURI + 3
        static let expiresAt = redirectURI + 4
        static let usedAt = redirectURI + 5
    }

    /// A refresh token with its grant and citizen, by the token's storage key.
    private static let refreshTokenQuery = """
        SELECT \(GrantRecord.columnsWithCitizen), t.expires_at, t.rotated_at, t.revoked_at
        FROM oidc_token t JOIN oidc_grant g ON g.grant_id = t.grant_id \(GrantRecord.citizenJoin) WHERE t.token_key = ? AND t.kind = 'refresh'
        """

    /// Where ``refreshTokenQuery`` puts the token's own columns, after the grant's and the citizen's.
    private enum RefreshTokenColumn {
        static let expiresAt = GrantRecord.citizenRecordIndex + 1
        static let rotatedAt = expiresAt + 1
        static let revokedAt = expiresAt + 2
    }

    /// Redeems a grant and stores a new access and refresh token under it in one write
    /// transaction, then signs the ID token.
    ///
    /// The transaction first claims the request's `jti`s (a replayed request is refused before
    /// `redeem` touches its grant), then runs `redeem` — which reads the grant and checks it — and
    /// checks the citizen and, for a business login, their authority again; only then is the code or
    /// refresh token spent. A storage failure rolls the whole transaction back. The ID token is signed
    /// after the commit: signing with the provider's own key does not fail short of a broken
    /// process, which would lose the response after the commit all the same.
    func issueTokens(
        for request: TokenRequest, redeem: @escaping @Sendable (Database, Date) throws -> Redemption
    ) async throws(SmartNationError) -> TokenResponse {
        let now = clock()
        let accessToken = RandomToken.makeTimeOrdered(at: now)
        let refreshToken = RandomToken.makeTimeOrdered(at: now)
        let settings = settings
        let decodedCitizens = decodedCitizens
        let replayGuard = replayGuard
        let outcome: Result<(claims: IDTokenClaims, scope: String), SmartNationError>
        do {
            outcome = try await tokenWrites.write { db in
                if let replayed = try replayGuard.claim(request.replayKeys, in: db) { return .failure(replayed.refusal) }
                let redeemed: RedeemedGrant
                switch try redeem(db, now) {
                case .failure(let refusal): return .failure(refusal)
                case .success(let grant): redeemed = grant
                }
                let grant = redeemed.grant
                let citizen: Citizen
                let entity: BusinessRepresentation?
                do {
                    guard let decoded = try redeemed.citizenRecord.map(decodedCitizens.citizen(from:)), decoded.status == .active else {
                        try Self.revokeGrant(grant.grantID, at: now, in: db)
                        return .failure(.oauth(.oauthAccessDenied, "invalid_grant", "the citizen's account is closed"))
                    }
                    citizen = decoded
                    entity = try grant.entityUEN.map { (uen) throws(SmartNationError) in
                        try BusinessRegistry.representation(uen: uen, subject: grant.subject, in: db)
                    }
                } catch let refusal as SmartNationError where refusal.httpStatus < 500 {
                    return .failure(refusal)
                }
                try redeemed.spend(db)
                try db.cachedStatement(sql: """
                    INSERT INTO oidc_token (token_key, kind, grant_id, jkt, issued_at, expires_at)
                    VALUES (?, 'access', ?, ?, ?, ?), (?, 'refresh', ?, NULL, ?, ?)
                    """).execute(arguments: [
                    accessToken.storageKey, grant.grantID, request.jkt, now.timeIntervalSince1970,
                    now.timeIntervalSince1970 + settings.accessTokenLifetime,
                    refreshToken.storageKey, grant.grantID, now.timeIntervalSince1970,
                    min(now.timeIntervalSince1970 + settings.refreshTokenLifetime,
                        grant.endsAt(lifetime: settings.grantLifetime).timeIntervalSince1970),
                ])
                let issuedAt = Int(now.timeIntervalSince1970)
                let claims = IDTokenClaims(
                    issuer: settings.issuer, subject: grant.subject, audience: request.client.clientID, issuedAt: issuedAt,
                    expiresAt: issuedAt + Int(settings.accessTokenLifetime), authTime: Int(grant.authTime.timeIntervalSince1970),
                    nonce: redeemed.nonce, authenticationMethods: grant.methods,
                    attributes: Self.claims(of: grant, citizen: citizen, entity: entity))
                return .success((claims, grant.scopes.text))
            }
        } catch {
            throw .storage(error)
        }
        let issued = try outcome.get()
        return TokenResponse(
            accessToken: accessToken.token, tokenType: request.jkt == nil ? "Bearer" : "DPoP", expiresIn: Int(settings.accessTokenLifetime),
            refreshToken: refreshToken.token, idToken: try signingKeys.sign(issued.claims), scope: issued.scope)
    }

    /// The consented attributes of the grant's citizen and, for a business login, the `entity`
    /// claim from the citizen's authority as just checked.
    static func claims(of grant: GrantRecord, citizen: Citizen, entity: BusinessRepresentation?) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [:]
        for attribute in grant.scopes.attributes {
            claims[attribute.rawValue] = attribute.claim(of: citizen)
        }
        if let entity { claims["entity"] = .object(entity.claim.mapValues(JSONValue.string)) }
        return claims
    }

    /// Revokes a grant and so every token issued under it, inside the caller's transaction.
    static func revokeGrant(_ grantID: String, at now: Date, in db: Database) throws {
        try db.execute(sql: "UPDATE oidc_grant SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL",
                       arguments: [now.timeIntervalSince1970, grantID])
    }
}
