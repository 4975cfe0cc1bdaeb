import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import SmartNationCore
import SmartNationHTTP

/// The provider's machine endpoints: discovery, JWKS, PAR, token, userinfo, revocation,
/// introspection and device authorization.
struct OAuthEndpoints: Sendable {
    let provider: OpenIDProvider

    func add<Context: RequestContext>(to router: Router<Context>) {
        let provider = provider
        router.get("/.well-known/openid-configuration") { _, _ in
            jsonResponse(provider.discoveryDocument, headers: [.cacheControl: "public, max-age=300"])
        }
        router.get("/oauth2/jwks") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: provider.signingKeys.jwks)))
        }
        router.post("/oauth2/par") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let input = try await ClientRequest.read(&request, context: context, endpoint: "par", provider: provider)
                let pushed = try await provider.pushAuthorizationRequest(form: input.form, credentials: input.credentials, dpopProof: input.dpopProof)
                return jsonResponse(.object(["request_uri": .string(pushed.requestURI), "expires_in": .integer(Int64(pushed.expiresIn))]), status: .created)
            }
        }
        router.post("/oauth2/token") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let input = try await ClientRequest.read(&request, context: context, endpoint: "token", provider: provider)
                return jsonResponse(try await provider.token(form: input.form, credentials: input.credentials, dpopProof: input.dpopProof).json)
            }
        }
        router.post("/oauth2/device_authorization") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let input = try await ClientRequest.read(&request, context: context, endpoint: "device_authorization", provider: provider)
                return jsonResponse(try await provider.startDeviceAuthorization(form: input.form, credentials: input.credentials).json)
            }
        }
        router.post("/oauth2/revoke") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let input = try await ClientRequest.read(&request, context: context, endpoint: "revoke", provider: provider)
                try await provider.revoke(form: input.form, credentials: input.credentials)
                return Response(status: .ok, headers: [.cacheControl: "no-store"])
            }
        }
        router.post("/oauth2/introspect") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let input = try await ClientRequest.read(&request, context: context, endpoint: "introspect", provider: provider)
                return jsonResponse(try await provider.introspect(form: input.form, credentials: input.credentials))
            }
        }
        let userinfo: @Sendable (Request, Context) async throws -> Response = { request, _ in
            let authorization = request.authorizationToken()
            return await oauthEndpoint(challenge: { resourceChallenge(for: $0, scheme: authorization?.scheme) }) { () async throws(SmartNationError) in
                let presented = try await provider.auditingRefusals(endpoint: "userinfo") { () async throws(SmartNationError) in
                    guard let (scheme, token) = authorization else {
                        throw SmartNationError(.oauthAccessTokenInvalid, parameters: ["oauth_error": "invalid_token", "reason": "an access token is required"], httpStatus: 401)
                    }
                    let evidence = try request.dpopProof(refusalStatus: 401).map {
                        DPoPEvidence(proof: $0, method: request.method.rawValue, url: provider.settings.userinfoEndpoint)
                    }
                    return PresentedAccessToken(scheme: scheme, token: token, dpop: evidence)
                }
                return jsonResponse(try await provider.userinfo(presented))
            }
        }
        router.get("/oauth2/userinfo", use: userinfo)
        router.post("/oauth2/userinfo", use: userinfo)
    }
}

/// A client's request to an OAuth endpoint as the HTTP edge reads it: the form, the client's
/// credentials and the DPoP proof. A request that cannot be read (a repeated parameter, a malformed
/// Basic header, two proofs) is refused and audited like the provider's own refusals.
private struct ClientRequest: Sendable {
    let form: [String: String]
    let credentials: ClientCredentials
    let dpopProof: String?

    static func read(
        _ request: inout Request, context: some RequestContext, endpoint: String, provider: OpenIDProvider
    ) async throws(SmartNationError) -> ClientRequest {
        try await provider.auditingRefusals(endpoint: endpoint) { () async throws(SmartNationError) in
            let form = try await request.formParameters(context: context)
            return ClientRequest(form: form, credentials: try request.clientCredentials(form: form), dpopProof: try request.dpopProof())
        }
    }
}
