import Foundation
import GRDB
import SmartNationCore

/// A citizen's standing consent for one client.
public struct Consent: Sendable, Hashable {
    /// The client.
    public let clientID: String
    /// The client's name, when it is still registered.
    public let clientName: String?
    /// The attributes the client may receive.
    public let attributes: Set<PersonAttribute>
    /// When it was last granted or widened.
    public let grantedAt: Date
}

extension OpenIDProvider {
    /// The citizen's consents, newest first.
    public func consents(of subject: String) async throws(SmartNationError) -> [Consent] {
        let rows: [Row]
        do {
            rows = try database.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT client_id, scopes, granted_at FROM oidc_consent WHERE subject = ? ORDER BY granted_at DESC",
                    arguments: [subject])
            }
        } catch {
            throw .storage(error)
        }
        var consents: [Consent] = []
        for row in rows {
            let clientID: String = row["client_id"]
            let scopes = (try? ScopeSet(parsing: row["scopes"])) ?? ScopeSet(attributes: [])
            consents.append(Consent(
                clientID: clientID, clientName: try await clients.client(id: clientID)?.name, attributes: scopes.attributes,
                grantedAt: Date(timeIntervalSince1970: row["granted_at"])))
        }
        return consents
    }

    /// Withdraws the citizen's consent for `clientID` and revokes every grant the client holds for them.
    public func revokeConsent(subject: String, clientID: String) async throws(SmartNationError) {
        let now = clock()
        let event = try CloudEvent(ConsentRevoked(subject: subject, clientID: clientID), source: identityEventSource, subject: subject, time: now)
        let removed: Bool
        do {
            removed = try await database.write { db in
                try db.execute(sql: "DELETE FROM oidc_consent WHERE subject = ? AND client_id = ?", arguments: [subject, clientID])
                guard db.changesCount == 1 else { return false }
                try db.execute(
                    sql: "UPDATE oidc_grant SET revoked_at = ? WHERE subject = ? AND client_id = ? AND revoked_at IS NULL",
                    arguments: [now.timeIntervalSince1970, subject, clientID])
                try Outbox.enqueue(event, in: db)
                return true
            }
        } catch {
            throw .storage(error)
        }
        guard removed else {
            throw SmartNationError(.oauthConsentNotFound, parameters: ["client_id": clientID], httpStatus: 404)
        }
    }

    func consentedAttributes(subject: String, clientID: String) async throws(SmartNationError) -> Set<PersonAttribute> {
        let scopes: String?
        do {
            scopes = try await database.read { db in
                try String.fetchOne(db, sql: "SELECT scopes FROM oidc_consent WHERE subject = ? AND client_id = ?", arguments: [subject, clientID])
            }
        } catch {
            throw .storage(error)
        }
        guard let scopes, let parsed = try? ScopeSet(parsing: scopes) else { return [] }
        return parsed.attributes
    }

    /// Stores the citizen's decision on a request for `requested`: what they shared (`granted`) joins
    /// the standing consent, and what they were asked for and left out leaves it — unticking an
    /// attribute consented before withdraws it, so the next request for it asks again. Announces the
    /// decision (``ConsentGranted``, with the attributes it shared and those it withdrew) when the
    /// stored consent changed. The client's live grants for the citizen lose what was withdrawn too,
    /// so the tokens issued under them — userinfo, refreshed ID tokens — release it no more.
    static func recordConsent(
        subject: String, clientID: String, requested: Set<PersonAttribute>, granted: Set<PersonAttribute>, now: Date, in db: Database
    ) throws {
        assert(granted.isSubset(of: requested), "a decision shares only what was asked")
        let existing = try String.fetchOne(
            db, sql: "SELECT scopes FROM oidc_consent WHERE subject = ? AND client_id = ?", arguments: [subject, clientID])
        let previous = existing.flatMap { try? ScopeSet(parsing: $0) }?.attributes ?? []
        let withdrawn = previous.intersection(requested.subtracting(granted))
        let updated = previous.subtracting(withdrawn).union(granted)
        guard existing == nil || updated != previous else { return }
        let merged = ScopeSet(attributes: updated)
        try db.execute(
            sql: """
                INSERT INTO oidc_consent (subject, client_id, scopes, granted_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at
                """,
            arguments: [subject, clientID, merged.text, now.timeIntervalSince1970])
        if !withdrawn.isEmpty { try narrowGrants(subject: subject, clientID: clientID, withdrawing: withdrawn, in: db) }
        try Outbox.enqueue(try CloudEvent(
            ConsentGranted(
                subject: subject, clientID: clientID, attributes: granted.sorted().map(\.rawValue),
                withdrawn: withdrawn.isEmpty ? nil : withdrawn.sorted().map(\.rawValue)),
            source: identityEventSource, subject: subject, time: now), in: db)
    }

    /// Takes `withdrawn` out of the scopes of the client's live grants for the citizen.
    private static func narrowGrants(subject: String, clientID: String, withdrawing withdrawn: Set<PersonAttribute>, in db: Database) throws {
        let grants = try Row.fetchAll(
            db, sql: "SELECT grant_id, scopes FROM oidc_grant WHERE subject = ? AND client_id = ? AND revoked_at IS NULL",
            arguments: [subject, clientID])
        for grant in grants {
            let attributes = (try? ScopeSet(parsing: grant["scopes"]))?.attributes ?? []
            guard !attributes.isDisjoint(with: withdrawn) else { continue }
            try db.execute(
                sql: "UPDATE oidc_grant SET scopes = ? WHERE grant_id = ?",
                arguments: [ScopeSet(attributes: attributes.subtracting(withdrawn)).text, grant["grant_id"] as String])
        }
    }
}
