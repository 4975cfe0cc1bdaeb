import Foundation
import GRDB
import SmartNationCore

/// The device authorization grant (RFC 8628): the "scan with your app" login at a kiosk.
public struct DeviceGrant: Sendable, Hashable {
    /// The grant type the device polls the token endpoint with.
    public static let grantType = "urn:ietf:params:oauth:grant-type:device_code"
    /// The alphabet of user codes: consonants only, so no word is spelt and nothing is misread.
    static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")

    /// The secret the device polls with.
    public let deviceCode: String
    /// What the citizen types or scans, `XXXX-XXXX`.
    public let userCode: String
    /// Where the citizen approves.
    public let verificationURI: String
    /// The verification URI with the user code filled in, for a QR code.
    public let verificationURIComplete: String
    /// Seconds until the codes expire.
    public let expiresIn: Int
    /// The least seconds between polls.
    public let interval: Int

    /// The JSON body of the device authorization response.
    public var json: JSONValue {
        .object([
            "device_code": .string(deviceCode), "user_code": .string(userCode), "verification_uri": .string(verificationURI),
            "verification_uri_complete": .string(verificationURIComplete), "expires_in": .integer(Int64(expiresIn)),
            "interval": .integer(Int64(interval)),
        ])
    }

    /// A user code as typed: upper-cased, dashes and spaces removed, re-dashed; `nil` when it
    /// cannot be one.
    public static func normalise(userCode: String) -> String? {
        let letters = userCode.uppercased().filter { $0 != "-" && $0 != " " }
        guard letters.count == 8, letters.allSatisfy(userCodeAlphabet.contains) else { return nil }
        return String(letters.prefix(4)) + "-" + String(letters.suffix(4))
    }
}

/// A device authorization waiting for the citizen: what the citizen app shows before approval.
public struct PendingDeviceAuthorization: Sendable, Hashable {
    /// The client asking.
    public let client: OpenIDClient
    /// What it asks for.
    public let scopes: ScopeSet
}

extension OpenIDProvider {
    /// The device authorization endpoint: issues a device code and a user code.
    public func startDeviceAuthorization(form: [String: String], credentials: ClientCredentials) async throws(SmartNationError) -> DeviceGrant {
        try await audited(endpoint: "device_authorization", credentials: credentials) { (audit: inout RequestAudit) async throws(SmartNationError) in
            let client = try await authenticate(credentials, recordingIn: &audit)
            let scopes = try ScopeSet(parsing: form["scope"] ?? "")
            guard scopes.attributes.isSubset(of: client.allowedAttributes) else {
                throw .oauth(.oauthScopeInvalid, "invalid_scope", "the client may not ask for these attributes")
            }
            let deviceCode = RandomToken.make(byteCount: 32)
            var generator = SystemRandomNumberGenerator()
            let letters = String((0..<8).map { _ in DeviceGrant.userCodeAlphabet.randomElement(using: &generator)! })
            let userCode = String(letters.prefix(4)) + "-" + String(letters.suffix(4))
            let now = clock().timeIntervalSince1970
            let pendingMax = settings.pendingPerClientMax
            do {
                try await database.write { db in
                    let pending = try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM oidc_device_authorization WHERE client_id = ? AND status = 'pending' AND expires_at > ?",
                        arguments: [client.clientID, now]) ?? 0
                    guard pending < pendingMax else { throw Self.pendingLimitReached("device codes") }
                    try db.execute(
                        sql: """
                            INSERT INTO oidc_device_authorization (device_code_hash, user_code, client_id, scopes, expires_at, status)
                            VALUES (?, ?, ?, ?, ?, 'pending')
                            """,
                        arguments: [RandomToken.hash(deviceCode), userCode, client.clientID, scopes.text, now + settings.deviceCodeLifetime])
                }
            } catch {
                throw .storage(error)
            }
            return DeviceGrant(
                deviceCode: deviceCode, userCode: userCode, verificationURI: settings.deviceVerificationURI,
                verificationURIComplete: settings.deviceVerificationURI + "?user_code=" + userCode,
                expiresIn: Int(settings.deviceCodeLifetime), interval: Int(settings.devicePollingInterval))
        }
    }

    /// The pending device authorization behind a user code, for the citizen `subject` to see in the
    /// citizen app. A wrong code is audited and counts against the citizen's user-code attempts.
    public func pendingDeviceAuthorization(userCode: String, subject: String) async throws(SmartNationError) -> PendingDeviceAuthorization {
        try await audited(endpoint: "device_lookup", clientID: nil) { () async throws(SmartNationError) in
            try await withUserCodeAttempt(by: subject) { () async throws(SmartNationError) in
                let (clientID, scopes) = try await pendingDevice(userCode: userCode)
                guard let client = try await clients.client(id: clientID) else {
                    throw .oauth(.oauthUserCodeInvalid, "invalid_request", httpStatus: 404, "the user code is unknown, expired or decided")
                }
                return PendingDeviceAuthorization(client: client, scopes: scopes)
            }
        }
    }

    /// Runs `body`, a citizen's use of a user code, under the guessing limit: past
    /// ``OpenIDProvider/userCodeFreeFailures`` wrong codes the citizen is refused with
    /// `identity.oauth.user_code_attempts_exceeded` (429) for a doubling time. A right code counts
    /// for nothing but does not clear the wrong ones before it (they are forgotten a day after the
    /// citizen's last use of a user code, right or wrong): looking up a code the citizen already
    /// knows would otherwise reset the limit at will.
    private func withUserCodeAttempt<Result: Sendable>(
        by subject: String, _ body: () async throws(SmartNationError) -> Result
    ) async throws(SmartNationError) -> Result {
        let key: [LoginThrottle.Key] = [.account("user-code:" + subject)]
        if let until = try await userCodeAttempts.admit(key, now: clock()) {
            throw SmartNationError(.oauthUserCodeAttemptsExceeded, parameters: ["until": until.formatted(.iso8601)], httpStatus: 429)
        }
        do {
            let result = try await body()
            try await userCodeAttempts.refund(key)
            return result
        } catch {
            if error.code != .oauthUserCodeInvalid { try await userCodeAttempts.refund(key) }
            throw error
        }
    }

    /// The citizen's decision on a device authorization, made in the citizen app while logged in.
    /// Approval records the consent to what the citizen shares and lets the device's next poll
    /// receive tokens.
    public func decideDeviceAuthorization(
        userCode: String, subject: String, methods: [String], authenticatedAt: Date, decision: ConsentDecision, entityUEN: String? = nil
    ) async throws(SmartNationError) {
        try await audited(endpoint: "device_approval", clientID: nil) { () async throws(SmartNationError) in
            let (clientID, requested) = try await withUserCodeAttempt(by: subject) { () async throws(SmartNationError) in
                try await pendingDevice(userCode: userCode)
            }
            let granted = decision.granted(from: requested)
            guard let normalised = DeviceGrant.normalise(userCode: userCode) else { preconditionFailure("pendingDevice normalised it") }
            let now = clock()
            do {
                try await database.write { db in
                    var grantID: String?
                    if let granted {
                        grantID = try Self.insertGrant(
                            clientID: clientID, subject: subject, scopes: granted, methods: methods, authTime: authenticatedAt,
                            entityUEN: entityUEN, in: db)
                        try Self.recordConsent(
                            subject: subject, clientID: clientID, requested: requested.attributes, granted: granted.attributes, now: now, in: db)
                    }
                    try db.execute(
                        sql: "UPDATE oidc_device_authorization SET status = ?, grant_id = ? WHERE user_code = ? AND status = 'pending'",
                        arguments: [granted != nil ? "approved" : "denied", grantID, normalised])
                    guard db.changesCount == 1 else {
                        throw SmartNationError.oauth(.oauthUserCodeInvalid, "invalid_request", httpStatus: 404, "the user code was decided meanwhile")
                    }
                }
            } catch {
                throw .storage(error)
            }
        }
    }

    func exchangeDeviceCode(form: [String: String], request: TokenRequest) async throws(SmartNationError) -> TokenResponse {
        guard let deviceCode = form["device_code"], deviceCode.utf8.count <= 128 else {
            throw .oauth(.oauthRequestInvalid, "invalid_request", "device_code is required")
        }
        let hash = RandomToken.hash(deviceCode)
        let pollingInterval = settings.devicePollingInterval
        return try await issueTokens(for: request) { db, now in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT client_id, expires_at, last_polled_at, status, grant_id FROM oidc_device_authorization WHERE device_code_hash = ?",
                arguments: [hash]), row["client_id"] as String == request.client.clientID
            else { return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the device code is unknown")) }
            try db.execute(sql: "UPDATE oidc_device_authorization SET last_polled_at = ? WHERE device_code_hash = ?",
                           arguments: [now.timeIntervalSince1970, hash])
            guard row["expires_at"] as Double > now.timeIntervalSince1970 else {
                return .failure(.oauth(.oauthDeviceCodeExpired, "expired_token", "the device code has expired"))
            }
            switch row["status"] as String {
            case "pending":
                if let last = row["last_polled_at"] as Double?, now.timeIntervalSince1970 - last < pollingInterval {
                    return .failure(.oauth(.oauthSlowDown, "slow_down", "poll at most every \(Int(pollingInterval)) s"))
                }
                return .failure(.oauth(.oauthAuthorizationPending, "authorization_pending", "the citizen has not decided yet"))
            case "denied":
                return .failure(.oauth(.oauthAccessDenied, "access_denied", "the citizen denied the request"))
            case "approved":
                guard let grantRow = try Row.fetchOne(
                    db, sql: "SELECT \(GrantRecord.columnsWithCitizen) FROM oidc_grant g \(GrantRecord.citizenJoin) WHERE g.grant_id = ?",
                    arguments: [row["grant_id"] as String])
                else { return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the device code's grant is gone")) }
                let grant = GrantRecord(row: grantRow)
                guard !grant.revoked else { return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the device code's grant was revoked")) }
                return .success(RedeemedGrant(grant: grant, row: grantRow) { db in
                    try db.execute(sql: "UPDATE oidc_device_authorization SET status = 'consumed' WHERE device_code_hash = ?", arguments: [hash])
                })
            default:
                return .failure(.oauth(.oauthCodeInvalid, "invalid_grant", "the device code was already used"))
            }
        }
    }

    private func pendingDevice(userCode: String) async throws(SmartNationError) -> (clientID: String, scopes: ScopeSet) {
        guard let normalised = DeviceGrant.normalise(userCode: userCode) else {
            throw .oauth(.oauthUserCodeInvalid, "invalid_request", httpStatus: 404, "the user code is unknown, expired or decided")
        }
        let row = try database.fetchRow(sql: "SELECT client_id, scopes FROM oidc_device_authorization WHERE user_code = ? AND status = 'pending' AND expires_at > ?",
                    arguments: [normalised, clock().timeIntervalSince1970])
        guard let row, let scopes = try? ScopeSet(parsing: row["scopes"]) else {
            throw .oauth(.oauthUserCodeInvalid, "invalid_request", httpStatus: 404, "the user code is unknown, expired or decided")
        }
        return (row["client_id"], scopes)
    }
}
