import Foundation
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The citizen app's account security under `/api/identity`, each call on the citizen's session:
///
/// - `GET /sessions`: the citizen's live sessions (ids, methods, when created and last used).
/// - `DELETE /sessions/{session_id}`: revokes one of them; 204.
/// - `POST /totp`: `{"password", "otp"}`; enrols a new TOTP secret; 201 with its `otpauth_uri`. It
///   is pending: it replaces any earlier one only once confirmed.
/// - `POST /totp/confirm`: `{"otp"}`, a code from the new secret, within 10 minutes of enrolling; 204.
/// - `POST /recovery-codes`: `{"password", "otp"}`; a fresh set of one-time recovery codes, replacing
///   any earlier set; 201 with the codes, shown this once (only their hashes are kept).
///
/// Both change the second factor, so the session is not enough: the body carries the password and,
/// once a second factor is enrolled, a current TOTP or recovery code, checked as a login checks
/// them (``PasswordLogin/confirmPresence(of:password:oneTimeCode:clientAddress:)``).
struct CitizenAccountAPI: Sendable {
    let platform: IdentityPlatform
    let citizenAPI: CitizenAPI

    /// The body confirming a TOTP enrolment.
    struct Confirmation: Decodable {
        let otp: String
    }

    /// The body of a second-factor change: the citizen's proof of presence.
    struct PresenceProof: Decodable {
        let password: String
        let otp: String?
    }

    func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
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
        group.post("/totp") { request, context in
            let subject = try await Self.presentCitizen(request, context: context, platform: platform, citizenAPI: citizenAPI)
            let uri = try await platform.passwordLogin.enrolTOTP(for: subject)
            return jsonResponse(.object(["otpauth_uri": .string(uri)]), status: .created)
        }
        group.post("/totp/confirm") { request, context in
            let session = try await citizenAPI.session(of: request)
            var request = request
            let body = try await request.jsonBody(as: Confirmation.self, context: context)
            try await platform.passwordLogin.confirmTOTP(body.otp, for: session.subject)
            return Response(status: .noContent)
        }
        group.post("/recovery-codes") { request, context in
            let subject = try await Self.presentCitizen(request, context: context, platform: platform, citizenAPI: citizenAPI)
            let codes = try await platform.passwordLogin.issueRecoveryCodes(for: subject)
            return jsonResponse(.object(["codes": .array(codes.map(JSONValue.string))]), status: .created)
        }
    }

    /// The subject of the request's session, once its body has proved the citizen present.
    private static func presentCitizen<Context: RemoteAddressRequestContext>(
        _ request: Request, context: Context, platform: IdentityPlatform, citizenAPI: CitizenAPI
    ) async throws -> String {
        let session = try await citizenAPI.session(of: request)
        var request = request
        let proof = try await request.jsonBody(as: PresenceProof.self, context: context)
        try await platform.passwordLogin.confirmPresence(
            of: session.subject, password: proof.password, oneTimeCode: proof.otp, clientAddress: context.remoteAddress?.ipAddress ?? "unknown")
        return session.subject
    }
}
