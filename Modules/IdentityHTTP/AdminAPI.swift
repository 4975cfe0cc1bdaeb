import Crypto
import Foundation
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The operators' API under `/admin/identity`, behind the operator token: the OpenID client
/// registry and signing-key rotation.
struct AdminAPI: Sendable {
    let platform: IdentityPlatform
    let adminTokenHash: [UInt8]

    init(platform: IdentityPlatform, adminToken: String) {
        precondition(adminToken.utf8.count >= 16, "an operator token carries at least 16 characters")
        self.platform = platform
        adminTokenHash = Array(SHA256.hash(data: Data(adminToken.utf8)))
    }

    func add<Context: RequestContext>(to router: Router<Context>) {
        let api = self
        let group = router.group("/admin/identity")
        group.post("/clients") { request, context in
            try api.authorize(request)
            var request = request
            let registration = try await request.jsonBody(as: ClientRegistration.self, context: context)
            let registered = try await platform.openID.clients.register(registration)
            var body = Self.json(registered.client)
            if case .object(var members) = body, let secret = registered.secret {
                members["client_secret"] = .string(secret)
                body = .object(members)
            }
            return jsonResponse(body, status: .created)
        }
        group.get("/clients") { request, _ in
            try api.authorize(request)
            return jsonResponse(.object(["clients": .array(try await platform.openID.clients.clients().map(Self.json))]))
        }
        group.put("/clients/{client_id}/jwks") { request, context in
            try api.authorize(request)
            var request = request
            let document = try await request.jsonBody(as: JSONValue.self, context: context)
            let jwks = String(decoding: JSONWriter.bytes(of: document), as: UTF8.self)
            return jsonResponse(Self.json(try await platform.openID.clients.replaceKeys(id: try context.parameters.require("client_id"), jwks: jwks)))
        }
        group.delete("/clients/{client_id}") { request, context in
            try api.authorize(request)
            try await platform.openID.clients.remove(id: try context.parameters.require("client_id"))
            return Response(status: .noContent)
        }
        group.post("/businesses") { request, context in
            try api.authorize(request)
            var request = request
            let body = try await request.jsonBody(as: BusinessRequest.self, context: context)
            let business = try await platform.businesses.register(uen: body.uen, name: body.name)
            return jsonResponse(.object(["uen": .string(business.uen.value), "name": .string(business.name)]), status: .created)
        }
        group.post("/businesses/{uen}/representatives") { request, context in
            try api.authorize(request)
            var request = request
            let body = try await request.jsonBody(as: RepresentativeRequest.self, context: context)
            guard let role = BusinessRepresentation.Role(rawValue: body.role) else {
                throw SmartNationError(.httpBodyInvalid, parameters: ["reason": "role must be administrator or user"])
            }
            guard let citizen = try await platform.citizens.citizen(nric: body.nric) else {
                throw SmartNationError(.identityCitizenNotFound, httpStatus: 404)
            }
            try await platform.businesses.authorise(subject: citizen.subject, for: try context.parameters.require("uen"), role: role)
            return Response(status: .noContent)
        }
        group.post("/signing-keys/rotate") { request, _ in
            try api.authorize(request)
            let next = try await platform.openID.signingKeys.rotate()
            return jsonResponse(.object([
                "active_kid": .string(platform.openID.signingKeys.activeKeyID), "next_kid": .string(next.keyID),
                "next_signs_from": .string(next.signsFrom.formatted(.iso8601)),
            ]))
        }
    }

    /// Refuses a request without the operator token (`identity.admin.token_required`, 401).
    func authorize(_ request: Request) throws(SmartNationError) {
        guard let (scheme, token) = request.authorizationToken(), scheme.lowercased() == "bearer",
              constantTimeEquals(Array(SHA256.hash(data: Data(token.utf8))), adminTokenHash) else {
            throw SmartNationError(.identityAdminTokenRequired, httpStatus: 401)
        }
    }

    /// A business to register.
    struct BusinessRequest: Decodable {
        let uen: String
        let name: String
    }

    /// A citizen (by NRIC or FIN) to authorise for a business.
    struct RepresentativeRequest: Decodable {
        let nric: String
        let role: String
    }

    static func json(_ client: OpenIDClient) -> JSONValue {
        .object([
            "client_id": .string(client.clientID), "name": .string(client.name),
            "redirect_uris": .array(client.redirectURIs.map(JSONValue.string)),
            "scopes": .array(([ScopeSet.openID] + client.allowedAttributes.sorted().map(\.rawValue)).map(JSONValue.string)),
            "token_endpoint_auth_method": .string(client.authentication.methodName),
            "jwks": Self.publishedKeys(of: client),
            "dpop_bound_access_tokens": .bool(client.dpopBoundAccessTokens),
            "registered_at": .string(client.registeredAt.formatted(.iso8601)),
        ])
    }

    /// A `private_key_jwt` client's registered JWKS, as a JSON document; `null` for a development client.
    private static func publishedKeys(of client: OpenIDClient) -> JSONValue {
        guard case .privateKeyJWT(let jwks) = client.authentication, let document = try? JSONParser().parse(Array(jwks.utf8)) else { return .null }
        return document
    }
}
