import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartNationCore
import Testing

@Suite("The citizen app's and the operators' JSON APIs over HTTP")
struct CitizenAndAdminAPITests {
    @Test("logging in with a wrong password is 401 identity.login.wrong_credentials, with a mistyped NRIC 400 identity.nric.checksum")
    func sessionWithWrongPassword() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let response = try await fixture.postJSON("/api/identity/sessions", ["identifier": IdentityHTTPFixture.nric, "password": "not the password"])
            #expect(response.status == .unauthorized)
            #expect(try IdentityHTTPFixture.errorCode(response) == ["identity.login.wrong_credentials", "error.identity.login.wrong_credentials"])
            let mistyped = try await fixture.postJSON("/api/identity/sessions", ["identifier": "S1234567A", "password": IdentityHTTPFixture.password])
            #expect(mistyped.status == .badRequest)
            #expect(try IdentityHTTPFixture.errorCode(mistyped) == ["identity.nric.checksum", "error.identity.nric.checksum"])
        }
    }

    @Test("logging in with the password opens a session whose token lists the citizen's consents")
    func sessionAndConsents() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let login = try await fixture.postJSON(
                "/api/identity/sessions", ["identifier": IdentityHTTPFixture.nric, "password": IdentityHTTPFixture.password])
            #expect(login.status == .created)
            let body = try IdentityHTTPFixture.json(login)
            #expect(body["subject"]?.stringValue == fixture.subject)
            #expect(body["methods"] == .array([.string("pwd")]))
            let token = try #require(body["token"]?.stringValue)
            let consents = try await fixture.send(.get, "/api/identity/consents", headers: [.authorization: "Bearer \(token)"])
            #expect(consents.status == .ok)
            #expect(try IdentityHTTPFixture.json(consents)["consents"] == .array([]))
        }
    }

    @Test("consents without a session token, or with a made-up one, are 401 identity.session.required")
    func consentsNeedASession() async throws {
        try await IdentityHTTPFixture.run { fixture in
            for headers: HTTPFields in [[:], [.authorization: "Bearer made-up-token"]] {
                let response = try await fixture.send(.get, "/api/identity/consents", headers: headers)
                #expect(response.status == .unauthorized)
                #expect(try IdentityHTTPFixture.errorCode(response) == ["identity.session.required", "error.identity.session.required"])
            }
        }
    }

    @Test("the admin API without the operator token, or with another, is 401 identity.admin.token_required")
    func adminNeedsTheOperatorToken() async throws {
        try await IdentityHTTPFixture.run { fixture in
            for headers: HTTPFields in [[:], [.authorization: "Bearer another-token-of-some-length"]] {
                let response = try await fixture.send(.get, "/admin/identity/clients", headers: headers)
                #expect(response.status == .unauthorized)
                #expect(try IdentityHTTPFixture.errorCode(response) == ["identity.admin.token_required", "error.identity.admin.token_required"])
            }
            let listed = try await fixture.send(.get, "/admin/identity/clients", headers: [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"])
            #expect(listed.status == .ok)
        }
    }

    @Test("an operator replaces a client's JWKS; the client listing shows the keys; without the token it is 401")
    func adminReplacesClientKeys() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let admin: HTTPFields = [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"]
            func jwks(_ key: P256.Signing.PrivateKey) -> [String: Any] {
                let raw = key.publicKey.rawRepresentation
                func base64URL(_ data: Data) -> String {
                    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                        .replacingOccurrences(of: "=", with: "")
                }
                return ["keys": [["kty": "EC", "crv": "P-256", "kid": "k1", "x": base64URL(raw.prefix(32)), "y": base64URL(raw.suffix(32))]]]
            }
            let registered = try IdentityHTTPFixture.json(try await fixture.postJSON(
                "/admin/identity/clients",
                ["name": "HDB Portal", "redirect_uris": [IdentityHTTPFixture.redirectURI], "scopes": ["openid"], "jwks": jwks(P256.Signing.PrivateKey())],
                headers: admin))
            let clientID = try #require(registered["client_id"]?.stringValue)
            let newKey = P256.Signing.PrivateKey()
            #expect(try await fixture.send(.put, "/admin/identity/clients/\(clientID)/jwks", body: "{}").status == .unauthorized)
            var put = admin
            put[.contentType] = "application/json"
            let body = String(decoding: try JSONSerialization.data(withJSONObject: jwks(newKey)), as: UTF8.self)
            let replaced = try await fixture.send(.put, "/admin/identity/clients/\(clientID)/jwks", headers: put, body: body)
            #expect(replaced.status == .ok)
            let x = try #require(IdentityHTTPFixture.json(replaced)["jwks"]?["keys"]?.arrayValue?.first?["x"]?.stringValue)
            let listed = try IdentityHTTPFixture.json(try await fixture.send(.get, "/admin/identity/clients", headers: admin))
            #expect(listed["clients"]?.arrayValue?.first?["jwks"]?["keys"]?.arrayValue?.first?["x"]?.stringValue == x)
            let refused = try await fixture.send(.put, "/admin/identity/clients/\(clientID)/jwks", headers: put, body: #"{"keys":[]}"#)
            #expect(try IdentityHTTPFixture.errorCode(refused).first == "identity.oauth.client_metadata_invalid")
        }
    }

    @Test("registering a client with a plain-http redirect URI off loopback is 400 identity.oauth.client_metadata_invalid")
    func adminRefusesBadRedirect() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let response = try await fixture.postJSON(
                "/admin/identity/clients", ["name": "HDB Portal", "redirect_uris": ["http://app.test.sg/callback"], "scopes": ["openid"]],
                headers: [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"])
            #expect(response.status == .badRequest)
            #expect(try IdentityHTTPFixture.errorCode(response) == ["identity.oauth.client_metadata_invalid", "error.identity.oauth.client_metadata_invalid"])
            let listed = try await fixture.send(.get, "/admin/identity/clients", headers: [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"])
            #expect(try IdentityHTTPFixture.json(listed)["clients"] == .array([]))
        }
    }
}
