import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import SmartNationCore
import Testing

@Suite("OAuth endpoints over HTTP: discovery, JWKS and the pushed authorization endpoint's refusals")
struct OAuthEndpointsTests {
    @Test("discovery names the issuer, every endpoint under it, and the FAPI 2.0 requirements")
    func discoveryDocument() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let response = try await fixture.send(.get, "/.well-known/openid-configuration")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(response.headers[.cacheControl] == "public, max-age=300", "integrators may cache discovery, as they do the JWKS")
            let document = try IdentityHTTPFixture.json(response)
            let issuer = IdentityHTTPFixture.issuer
            #expect(document.strings("issuer", "pushed_authorization_request_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint") == [
                issuer, issuer + "/oauth2/par", issuer + "/oauth2/token", issuer + "/oauth2/jwks", issuer + "/oauth2/userinfo",
            ])
            #expect(document["require_pushed_authorization_requests"] == .bool(true))
            #expect(document["authorization_response_iss_parameter_supported"] == .bool(true))
            #expect(document["code_challenge_methods_supported"] == .array([.string("S256")]))
            #expect(document["dpop_signing_alg_values_supported"] == .array([.string("ES256")]))
            #expect(document["id_token_signing_alg_values_supported"] == .array([.string("ES256")]))
        }
    }

    @Test("the JWKS is served as application/jwk-set+json with public P-256 keys only")
    func jwks() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let response = try await fixture.send(.get, "/oauth2/jwks")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/jwk-set+json")
            guard case .array(let keys)? = try IdentityHTTPFixture.json(response)["keys"] else {
                Issue.record("the JWKS has no keys array")
                return
            }
            #expect(keys.count == 1)
            for key in keys {
                #expect(key.strings("kty", "crv") == ["EC", "P-256"])
                #expect(key["kid"]?.stringValue?.isEmpty == false)
                #expect(key["x"] != nil && key["y"] != nil)
                #expect(key["d"] == nil, "no private part is published")
            }
        }
    }

    @Test("PAR without client authentication is 401 invalid_client in RFC 6749 form with the platform code")
    func parWithoutClientAuthentication() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (_, clientID) = try await fixture.registerDevelopmentClient()
            let response = try await fixture.postForm("/oauth2/par", IdentityHTTPFixture.parForm(clientID: clientID))
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] != nil)
            let body = try IdentityHTTPFixture.json(response)
            #expect(body.strings("error", "code", "message_key") == [
                "invalid_client", "identity.oauth.client_authentication_missing", "error.identity.oauth.client_authentication_missing",
            ])
            #expect(body["error_description"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("PAR with a wrong client secret is 401 invalid_client")
    func parWithWrongSecret() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (_, clientID) = try await fixture.registerDevelopmentClient()
            let wrong = "Basic " + Data("\(clientID):not-the-secret".utf8).base64EncodedString()
            let response = try await fixture.postForm("/oauth2/par", IdentityHTTPFixture.parForm(clientID: clientID), headers: [.authorization: wrong])
            #expect(response.status == .unauthorized)
            #expect(try IdentityHTTPFixture.json(response).strings("error", "code") == ["invalid_client", "identity.oauth.client_secret_wrong"])
        }
    }

    @Test("PAR without PKCE is 400 invalid_request naming pkce_required")
    func parWithoutPKCE() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            let form = IdentityHTTPFixture.parForm(clientID: clientID).filter { !$0.0.hasPrefix("code_challenge") }
            let response = try await fixture.postForm("/oauth2/par", form, headers: [.authorization: authorization])
            #expect(response.status == .badRequest)
            let body = try IdentityHTTPFixture.json(response)
            #expect(body.strings("error", "code", "message_key") == ["invalid_request", "identity.oauth.pkce_required", "error.identity.oauth.pkce_required"])
            #expect(body["error_description"]?.stringValue?.contains("S256") == true)
        }
    }

    @Test("PAR refuses a repeated form parameter with 400 invalid_request")
    func parRefusesRepeatedParameter() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            let form = IdentityHTTPFixture.parForm(clientID: clientID) + [("scope", "openid")]
            let response = try await fixture.postForm("/oauth2/par", form, headers: [.authorization: authorization])
            #expect(response.status == .badRequest)
            let body = try IdentityHTTPFixture.json(response)
            #expect(body.strings("error", "code") == ["invalid_request", "core.http.body_invalid"])
            #expect(body["error_description"]?.stringValue?.contains("scope") == true)
            #expect(try await fixture.pushRequest(authorization: authorization, clientID: clientID).hasPrefix("urn:ietf:params:oauth:request_uri:"))
        }
    }

    @Test("requests refused at the HTTP edge — a repeated token parameter, a malformed Basic header, no access token at userinfo — are audited")
    func edgeRefusalsAreAudited() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let repeated = try await fixture.postForm("/oauth2/token", [("grant_type", "authorization_code"), ("code", "a"), ("code", "b")])
            #expect(try IdentityHTTPFixture.json(repeated).strings("error", "code") == ["invalid_request", "core.http.body_invalid"])
            #expect(repeated.headers[.cacheControl] == "no-store" && repeated.headers[HTTPField.Name("Pragma")!] == "no-cache",
                    "the token endpoint's answers are never cached (RFC 6749 5.1)")
            _ = try await fixture.postForm("/oauth2/par", [("client_id", "x")], headers: [.authorization: "Basic !!!"])
            _ = try await fixture.send(.get, "/oauth2/userinfo")
            let rejections = try await fixture.platform.database.read { db in
                try Outbox.pending(limit: 10_000, in: db).map(\.event)
            }.filter { $0.type == OAuthRequestRejected.eventType }.map { try $0.decodeData(as: OAuthRequestRejected.self) }
            #expect(rejections.map(\.endpoint) == ["token", "par", "userinfo"])
            #expect(rejections.first?.code == "core.http.body_invalid")
            #expect(rejections.last?.code == "identity.oauth.access_token_invalid")
        }
    }

    @Test("userinfo's challenges: the scheme to use when no token came, Bearer for a Bearer token, DPoP for a DPoP one; two proofs are 401")
    func userinfoChallenges() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let bare = try await fixture.send(.get, "/oauth2/userinfo")
            #expect(bare.status == .unauthorized)
            #expect(bare.headers[.wwwAuthenticate] == #"DPoP algs="ES256""#, "no error code for a request with no token (RFC 6750 3.1)")
            let bearer = try await fixture.send(.get, "/oauth2/userinfo", headers: [.authorization: "Bearer not-a-token"])
            #expect(bearer.status == .unauthorized)
            #expect(bearer.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            let dpop = try await fixture.send(.get, "/oauth2/userinfo", headers: [.authorization: "DPoP not-a-token"])
            #expect(dpop.status == .unauthorized)
            #expect(dpop.headers[.wwwAuthenticate]?.hasPrefix(#"DPoP error=""#) == true)
            var twoProofs: HTTPFields = [.authorization: "DPoP not-a-token"]
            twoProofs.append(HTTPField(name: HTTPField.Name("DPoP")!, value: "a.b.c"))
            twoProofs.append(HTTPField(name: HTTPField.Name("DPoP")!, value: "d.e.f"))
            let doubled = try await fixture.send(.get, "/oauth2/userinfo", headers: twoProofs)
            #expect(doubled.status == .unauthorized)
            #expect(doubled.headers[.wwwAuthenticate] == #"DPoP error="invalid_dpop_proof", algs="ES256""#)
        }
    }

    @Test("PAR with a JSON body is 415")
    func parRefusesOtherContentTypes() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let (authorization, clientID) = try await fixture.registerDevelopmentClient()
            let response = try await fixture.postJSON("/oauth2/par", ["client_id": clientID, "response_type": "code"], headers: [.authorization: authorization])
            #expect(response.status == .unsupportedMediaType)
            #expect(try IdentityHTTPFixture.json(response).strings("error", "code") == ["invalid_request", "core.http.body_invalid"])
        }
    }
}
