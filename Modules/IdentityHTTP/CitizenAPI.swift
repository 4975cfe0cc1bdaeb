import Foundation
import HTTPTypes
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The citizen app's JSON API under `/api/identity`: log in for a session, list and withdraw
/// consents, and approve a kiosk's device authorization ("scan with your app").
struct CitizenAPI: Sendable {
    let platform: IdentityPlatform

    /// The login request body.
    struct LoginRequest: Decodable {
        let identifier: String
        let password: String
        let otp: String?
        let entityUEN: String?

        enum CodingKeys: String, CodingKey {
            case identifier, password, otp
            case entityUEN = "entity_uen"
        }
    }

    /// A device authorization decision.
    /// `{"approve": true, "withhold": ["mobileno"]}`: approve or deny, optionally keeping some
    /// asked-for attributes back.
    struct DeviceDecision: Decodable {
        let approve: Bool
        let withhold: Set<PersonAttribute>?

        var decision: ConsentDecision {
            approve ? .approve(withholding: withhold ?? []) : .deny
        }
    }

    func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        let api = self
        let group = router.group("/api/identity")
        group.post("/sessions") { request, context in
            var request = request
            let body = try await request.jsonBody(as: LoginRequest.self, context: context)
            let outcome = try await platform.passwordLogin.login(
                identifier: body.identifier, password: body.password, oneTimeCode: body.otp,
                clientAddress: context.remoteAddress?.ipAddress ?? "unknown", entityCheck: platform.entityCheck(for: body.entityUEN))
            guard case .succeeded(let subject, let methods) = outcome else {
                throw outcome.refusal ?? SmartNationError(.identityLoginWrongCredentials, httpStatus: 401)
            }
            return Self.sessionResponse(try await platform.openSession(
                subject: subject, methods: methods, entityUEN: body.entityUEN, clientAddress: context.remoteAddress?.ipAddress ?? "unknown"))
        }
        group.get("/consents") { request, _ in
            let session = try await api.session(of: request)
            let consents = try await platform.openID.consents(of: session.subject)
            return jsonResponse(.object(["consents": .array(consents.map { consent in
                .object([
                    "client_id": .string(consent.clientID), "client_name": consent.clientName.map(JSONValue.string) ?? .null,
                    "attributes": .array(consent.attributes.sorted().map { .string($0.rawValue) }),
                    "granted_at": .string(consent.grantedAt.formatted(.iso8601)),
                ])
            })]))
        }
        group.delete("/consents/{client_id}") { request, context in
            let session = try await api.session(of: request)
            try await platform.openID.revokeConsent(subject: session.subject, clientID: try context.parameters.require("client_id"))
            return Response(status: .noContent)
        }
        group.get("/device-authorizations/{user_code}") { request, context in
            let session = try await api.session(of: request)
            let pending = try await platform.openID.pendingDeviceAuthorization(
                userCode: try context.parameters.require("user_code"), subject: session.subject)
            return jsonResponse(.object([
                "client_id": .string(pending.client.clientID), "client_name": .string(pending.client.name),
                "attributes": .array(pending.scopes.attributes.sorted().map { .string($0.rawValue) }),
            ]))
        }
        group.post("/device-authorizations/{user_code}") { request, context in
            var request = request
            let session = try await api.session(of: request)
            let decision = try await request.jsonBody(as: DeviceDecision.self, context: context)
            try await platform.openID.decideDeviceAuthorization(
                userCode: try context.parameters.require("user_code"), subject: session.subject,
                methods: session.authenticationMethods, authenticatedAt: session.createdAt, decision: decision.decision,
                entityUEN: session.entityUEN)
            return Response(status: .noContent)
        }
    }

    /// A new session's answer: 201 with its token, shown once.
    static func sessionResponse(_ issued: IssuedSession) -> Response {
        jsonResponse(.object([
            "entity_uen": issued.session.entityUEN.map(JSONValue.string) ?? .null,
            "token": .string(issued.token), "session_id": .string(issued.session.id), "subject": .string(issued.session.subject),
            "methods": .array(issued.session.authenticationMethods.map(JSONValue.string)),
        ]), status: .created)
    }

    /// The live session named by `Authorization: Bearer`, or `identity.session.required` (401).
    func session(of request: Request) async throws(SmartNationError) -> Session {
        guard let (scheme, token) = request.authorizationToken(), scheme.lowercased() == "bearer",
              case .active(let session) = try await platform.sessions.validate(token: token) else {
            throw SmartNationError(.identitySessionRequired, httpStatus: 401)
        }
        return session
    }
}
