import Foundation
import GRDB
import SmartNationCore

/// An access token as a protected resource request presents it.
public struct PresentedAccessToken: Sendable, Hashable {
    /// The `Authorization` scheme: `DPoP` or `Bearer`.
    public var scheme: String
    /// The token.
    public var token: String
    /// The request's DPoP proof, if any.
    public var dpop: DPoPEvidence?

    /// A token presented with `scheme`.
    public init(scheme: String, token: String, dpop: DPoPEvidence?) {
        self.scheme = scheme
        self.token = token
        self.dpop = dpop
    }
}

extension OpenIDProvider {
    /// The userinfo endpoint: the subject and the consented attributes of the token's grant.
    /// A DPoP-bound token must come with the `DPoP` scheme and a proof by its key carrying `ath`.
    public func userinfo(_ presented: PresentedAccessToken) async throws(SmartNationError) -> JSONValue {
        try await audited(endpoint: "userinfo", clientID: nil) { () async throws(SmartNationError) in
            let now = clock()
            guard let (grant, jkt) = try await liveToken(presented.token, kind: "access", now: now) else {
                throw .oauth(.oauthAccessTokenInvalid, "invalid_token", httpStatus: 401, "the access token is unknown, expired or revoked")
            }
            if let jkt {
                guard presented.scheme.lowercased() == "dpop", let evidence = presented.dpop else {
                    throw .oauth(.oauthDPoPProofInvalid, "invalid_token", httpStatus: 401, "this token is DPoP-bound: use the DPoP scheme with a proof")
                }
                let proven: String
                do throws(SmartNationError) {
                    proven = try await dpop.verify(evidence.proof, method: evidence.method, url: evidence.url, accessToken: presented.token)
                } catch where error.code != .storageUnavailable {
                    // At a protected resource a refused proof is 401 with a DPoP challenge (RFC 9449 §7.1),
                    // not the token endpoint's 400.
                    throw SmartNationError(error.code, parameters: error.parameters, httpStatus: 401)
                }
                guard proven == jkt else {
                    throw .oauth(.oauthDPoPKeyMismatch, "invalid_token", httpStatus: 401, "the DPoP proof is not by the token's key")
                }
            } else {
                guard presented.scheme.lowercased() == "bearer" else {
                    throw .oauth(.oauthAccessTokenInvalid, "invalid_token", httpStatus: 401, "this token is a Bearer token")
                }
            }
            guard let citizen = try await citizens.citizen(subject: grant.subject), citizen.status == .active else {
                throw .oauth(.oauthAccessTokenInvalid, "invalid_token", httpStatus: 401, "the citizen's account is closed")
            }
            var entity: BusinessRepresentation?
            if let uen = grant.entityUEN { entity = try await businesses.representation(uen: uen, subject: grant.subject) }
            var body = Self.claims(of: grant, citizen: citizen, entity: entity)
            body["sub"] = .string(grant.subject)
            return .object(body)
        }
    }

    /// Token revocation (RFC 7009): a refresh token revokes its grant, an access token itself.
    /// Unknown tokens and other clients' tokens are answered the same way, with nothing revoked.
    public func revoke(form: [String: String], credentials: ClientCredentials) async throws(SmartNationError) {
        try await audited(endpoint: "revoke", credentials: credentials) { (audit: inout RequestAudit) async throws(SmartNationError) in
            let client = try await authenticate(credentials, recordingIn: &audit)
            guard let token = form["token"], !token.isEmpty else {
                throw .oauth(.oauthRequestInvalid, "invalid_request", "token is required")
            }
            // Longer than any token this provider issues: an invalid token, which RFC 7009 §2.2
            // answers as success, with nothing revoked.
            guard token.utf8.count <= 128 else { return }
            let now = clock()
            let tokenKey = RandomToken.storageKey(token)
            do {
                try await database.write { db in
                    guard let row = try Row.fetchOne(
                        db, sql: "SELECT t.kind, t.grant_id, g.client_id FROM oidc_token t JOIN oidc_grant g ON g.grant_id = t.grant_id WHERE t.token_key = ?",
                        arguments: [tokenKey]), row["client_id"] as String == client.clientID else { return }
                    if row["kind"] as String == "refresh" {
                        try Self.revokeGrant(row["grant_id"], at: now, in: db)
                    } else {
                        try db.execute(sql: "UPDATE oidc_token SET revoked_at = ? WHERE token_key = ? AND revoked_at IS NULL",
                                       arguments: [now.timeIntervalSince1970, tokenKey])
                    }
                }
            } catch {
                throw .storage(error)
            }
        }
    }

    /// Token introspection (RFC 7662) for the client the token was issued to; any other token is
    /// `{"active": false}`.
    public func introspect(form: [String: String], credentials: ClientCredentials) async throws(SmartNationError) -> JSONValue {
        try await audited(endpoint: "introspect", credentials: credentials) { (audit: inout RequestAudit) async throws(SmartNationError) in
            let client = try await authenticate(credentials, recordingIn: &audit)
            guard let token = form["token"] else { throw .oauth(.oauthRequestInvalid, "invalid_request", "token is required") }
            let now = clock()
            for kind in ["access", "refresh"] {
                guard let (grant, jkt) = try await liveToken(token, kind: kind, now: now), grant.clientID == client.clientID else { continue }
                var body: [String: JSONValue] = [
                    "active": .bool(true), "client_id": .string(grant.clientID), "sub": .string(grant.subject),
                    "scope": .string(grant.scopes.text), "iss": .string(settings.issuer),
                    "token_type": .string(kind == "refresh" ? "refresh_token" : (jkt == nil ? "Bearer" : "DPoP")),
                ]
                if let times = try await tokenTimes(token) {
                    body["iat"] = .integer(Int64(times.issuedAt))
                    body["exp"] = .integer(Int64(times.expiresAt))
                }
                if let jkt { body["cnf"] = .object(["jkt": .string(jkt)]) }
                return .object(body)
            }
            return .object(["active": .bool(false)])
        }
    }

    /// The grant and DPoP key of a token of `kind` that is neither expired, rotated nor revoked.
    func liveToken(_ token: String, kind: String, now: Date) async throws(SmartNationError) -> (GrantRecord, String?)? {
        guard token.utf8.count <= 128 else { return nil }
        let row = try database.fetchRow(sql: """
                        SELECT \(GrantRecord.columns), t.jkt FROM oidc_token t JOIN oidc_grant g ON g.grant_id = t.grant_id
                        WHERE t.token_key = ? AND t.kind = ? AND t.expires_at > ? AND t.revoked_at IS NULL AND t.rotated_at IS NULL
                            AND g.revoked_at IS NULL
                        """,
                    arguments: [RandomToken.storageKey(token), kind, now.timeIntervalSince1970])
        guard let row else { return nil }
        return (GrantRecord(row: row), row[GrantRecord.columnCount])
    }

    private func tokenTimes(_ token: String) async throws(SmartNationError) -> (issuedAt: Int, expiresAt: Int)? {
        do {
            return try await database.read { db in
                try Row.fetchOne(db, sql: "SELECT issued_at, expires_at FROM oidc_token WHERE token_key = ?", arguments: [RandomToken.storageKey(token)])
                    .map { (Int($0["issued_at"] as Double), Int($0["expires_at"] as Double)) }
            }
        } catch {
            throw .storage(error)
        }
    }
}
