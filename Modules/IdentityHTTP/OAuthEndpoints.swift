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
                let form = try await request.formParameters(context: context)
                let pushed = try await provider.pushAuthorizationRequest(
                    form: form, credentials: try request.clientCredentials(form: form), dpopProof: try request.dpopProof())
                return jsonResponse(.object(["request_uri": .string(pushed.requestURI), "expires_in": .integer(Int64(pushed.expiresIn))]), status: .created)
            }
        }
        router.post("/oauth2/token") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                let tokens = try await provider.token(
                    form: form, credentials: try request.clientCredentials(form: form), dpopProof: try request.dpopProof())
                return jsonResponse(tokens.json)
            }
        }
        router.post("/oauth2/device_authorization") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                let grant = try await provider.startDeviceAuthorization(form: form, credentials: try request.clientCredentials(form: form))
                return jsonResponse(grant.json)
            }
        }
        router.post("/oauth2/revoke") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                try await provider.revoke(form: form, credentials: try request.clientCredentials(form: form))
                return Response(status: .ok, headers: [.cacheControl: "no-store"])
            }
        }
        router.post("/oauth2/introspect") { request, context in
            var request = request
            return await oauthEndpoint { () async throws(SmartNationError) in
                let form = try await request.formParameters(context: context)
                return jsonResponse(try await provider.introspect(form: form, credentials: try request.clientCredentials(form: form)))
            }
        }
        let userinfo: @Sendable (Request, Context) async throws -> Response = { request, _ in
            await oauthEndpoint { () async throws(SmartNationError) in
                guard let (scheme, token) = request.authorizationToken() else {
                    throw SmartNationError(.oauthAccessTokenInvalid, parameters: ["oauth_error": "invalid_token", "reason": "an access token is required"], httpStatus: 401)
                }
                let evidence = try request.dpopProof().map {
                    DPoPEvidence(proof: $0, method: request.method.rawValue, url: provider.settings.userinfoEndpoint)
                }
                return jsonResponse(try await provider.userinfo(PresentedAccessToken(scheme: scheme, token: token, dpop: evidence)))
            }
        }
        router.get("/oauth2/userinfo", use: userinfo)
        router.post("/oauth2/userinfo", use: userinfo)
    }
}
