import Foundation
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The citizen app's account security under `/api/identity`, each call on the citizen's session:
///
/// - `GET /sessions`: the citizen's live sessions (ids, methods, when created and last used).
/// - `DELETE /sessions/{session_id}`: revokes one of them; 204.
/// - `POST /totp`: enrols a new TOTP secret, replacing any earlier one; 201 with its `otpauth_uri`.
/// - `POST /recovery-codes`: a fresh set of one-time recovery codes, replacing any earlier set; 201
///   with the codes, shown this once (only their hashes are kept).
struct CitizenAccountAPI: Sendable {
    let platform: IdentityPlatform
    let citizenAPI: CitizenAPI

    func add<Context: RequestContext>(to router: Router<Context>) {
        let platform = platform
        let citizenAPI = citizenAPI
        let group = router.group("/api/identity")
        group.get("/sessions") { request, _ in
            let session = try await citizenAPI.session(of: request)
            let sessions = try await platform.sessions.activeSessions(of: session.subject)
            return jsonResponse(.object(["sessions": .array(sessions.map { live in
                .object([
                    "session_id": .string(live.id), "methods": .array(live.authenticationMethods.map(JSONValue.string)),
                    "created_at": .string(live.createdAt.formatted(.iso8601)), "last_seen_at": .string(live.lastSeenAt.formatted(.iso8601)),
                    "entity_uen": live.entityUEN.map(JSONValue.string) ?? .null, "current": .bool(live.id == session.id),
                ])
            })]))
        }
        group.delete("/sessions/{session_id}") { request, context in
            let session = try await citizenAPI.session(of: request)
            try await platform.sessions.revoke(sessionID: try context.parameters.require("session_id"), of: session.subject)
            return Response(status: .noContent)
        }
        group.post("/totp") { request, _ in
            let session = try await citizenAPI.session(of: request)
            let uri = try await platform.passwordLogin.enrolTOTP(for: session.subject)
            return jsonResponse(.object(["otpauth_uri": .string(uri)]), status: .created)
        }
        group.post("/recovery-codes") { request, _ in
            let session = try await citizenAPI.session(of: request)
            let codes = try await platform.passwordLogin.issueRecoveryCodes(for: session.subject)
            return jsonResponse(.object(["codes": .array(codes.map(JSONValue.string))]), status: .created)
        }
    }
}
