import Crypto
import Foundation
import Identity
import SmartNationCore
import Testing
import ToolSupport

/// A live identity server with one citizen (password and TOTP) and one integrator registered through
/// the operators' HTTP API, whose private key waits in a PEM file for the Python client.
private struct InteropWorld {
    static let nric = "S1234567D"
    static let name = "Tan Ah Kow"
    static let password = "correct horse battery staple"
    static let redirectURI = "http://127.0.0.1/callback"
    static let clientName = "HDB Portal"
    static let scope = "openid name uinfin"

    let server: LiveIdentityServer
    let subject: String
    let otpauthURI: String
    let clientID: String
    let keyFile: URL

    /// Runs `body` in a fresh world; stops the server and deletes every file afterwards.
    static func run<Result: Sendable>(_ body: @Sendable (InteropWorld) async throws -> Result) async throws -> Result {
        try await LiveIdentityServer.withServer { server in
            let citizen = try await server.platform.citizens.register(CitizenRegistration(
                nric: nric, name: name, dateOfBirth: "1980-01-31", sex: .male, nationality: "SINGAPORE CITIZEN",
                address: try RegisteredAddress(block: "1", street: "Orchard Road", unit: "#01-01", postalCode: "238801")))
            try await server.platform.passwordLogin.setPassword(password, for: citizen.subject)
            let otpauthURI = try await server.platform.passwordLogin.enrolTOTP(for: citizen.subject)
            try await confirm(otpauthURI, for: citizen.subject, on: server)
            let clientKey = P256.Signing.PrivateKey()
            let clientID = try await server.registerClient([
                "name": clientName, "redirect_uris": [redirectURI], "scopes": scope.split(separator: " ").map(String.init),
                "jwks": ["keys": [publicJWK(clientKey, keyID: "client-key-1")]], "dpop_bound_access_tokens": true,
            ])
            let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("client-key-\(UUID().uuidString).pem")
            try clientKey.pemRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: keyFile) }
            return try await body(InteropWorld(
                server: server, subject: citizen.subject, otpauthURI: otpauthURI, clientID: clientID, keyFile: keyFile))
        }
    }

    /// Confirms the enrolment as the citizen app does, with the previous step's code (within the
    /// ±1 window), so the code pyotp makes for the current step is still unspent.
    private static func confirm(_ otpauthURI: String, for subject: String, on server: LiveIdentityServer) async throws {
        let secret = try #require(URLComponents(string: otpauthURI)?.queryItems?.first { $0.name == "secret" }?.value)
        let authenticator = TOTPGenerator(secret: try TOTPSecret(base32: secret))
        try await server.platform.passwordLogin.confirmTOTP(authenticator.code(at: Date().addingTimeInterval(-30)), for: subject)
    }

    /// The arguments every script takes.
    var commonArguments: [String] {
        [
            "--issuer", server.issuer, "--client-id", clientID, "--client-key", keyFile.path, "--nric", Self.nric,
            "--password", Self.password, "--otpauth-uri", otpauthURI, "--scope", Self.scope,
        ]
    }

    /// The public half of a P-256 key as a JWK.
    private static func publicJWK(_ key: P256.Signing.PrivateKey, keyID: String) -> [String: String] {
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let raw = key.publicKey.rawRepresentation
        return ["kty": "EC", "crv": "P-256", "x": base64URL(raw.prefix(32)), "y": base64URL(raw.suffix(32)), "kid": keyID, "use": "sig"]
    }
}

/// Runs a script of `Python/` and returns the JSON object it printed, recording its stderr when it fails.
private func runClient(_ script: String, _ arguments: [String]) async throws -> JSONValue {
    let outcome = try await PythonScript(script).run(arguments)
    try #require(outcome.status == 0, "\(script) failed: \(outcome.standardError)")
    return try JSONDecoder().decode(JSONValue.self, from: Data(outcome.standardOutput.utf8))
}

@Suite("The OpenID provider against Authlib, a real third-party OAuth 2.0 and OpenID Connect client")
struct OpenIDInteropTests {
    @Test("Authlib completes PAR, PKCE, private_key_jwt, DPoP and ID token validation; a reused code is refused")
    func authlibCompletesTheAuthorizationCodeFlow() async throws {
        let (subject, summary) = try await InteropWorld.run { world in
            (world.subject, try await runClient("authlib_client.py", world.commonArguments + ["--redirect-uri", InteropWorld.redirectURI]))
        }
        #expect(summary["sub"]?.stringValue == subject, "the ID token names the citizen's subject")
        #expect(summary["name"]?.stringValue == InteropWorld.name, "userinfo carries the consented name")
        #expect(summary["id_token_name"]?.stringValue == InteropWorld.name, "the ID token carries the consented name")
        #expect(summary["amr"] == .array([.string("pwd"), .string("otp")]), "the citizen used a password and a one-time code")
        #expect(summary["token_type"]?.stringValue == "DPoP")
    }

    @Test("a kiosk on Authlib gets a DPoP-bound token once the citizen approves its user code in the app")
    func authlibCompletesTheDeviceAuthorizationGrant() async throws {
        let (subject, summary) = try await InteropWorld.run { world in
            (world.subject, try await runClient("authlib_device_client.py", world.commonArguments))
        }
        #expect(summary["sub"]?.stringValue == subject)
        #expect(summary["client_name"]?.stringValue == InteropWorld.clientName, "the app showed the kiosk's registered name")
        #expect(summary["token_type"]?.stringValue == "DPoP")
    }
}
