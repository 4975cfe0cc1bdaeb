import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import IdentityHTTP
import NIOCore
import SmartNationCore
import SmartNationHTTP

/// The identity routes alone in a Hummingbird application, as an integrator mounts them, over a
/// fresh platform with one citizen who has a password (and no second factor). Requests go through
/// Hummingbird's in-process test client: the real router and handlers, no socket.
struct IdentityHTTPFixture {
    static let issuer = "https://id.test.sg"
    static let adminToken = "test-operator-token-0123456789"
    static let nric = "S1234567D"
    static let password = "correct horse battery staple"
    static let redirectURI = "https://app.test.sg/callback"

    let platform: IdentityPlatform
    let subject: String
    let client: any TestClientProtocol

    /// Runs `body` with a fresh platform and its routes; deletes the platform's data afterwards.
    static func run(_ body: @Sendable (IdentityHTTPFixture) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-http-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let platform = try await IdentityPlatform.open(in: directory, sealer: .random(), issuer: issuer, allowsDevelopmentClients: true)
        let citizen = try await platform.citizens.register(CitizenRegistration(
            nric: nric, name: "Tan Ah Kow", dateOfBirth: "1980-01-31", sex: .male, nationality: "SINGAPORE CITIZEN",
            address: try RegisteredAddress(block: "1", street: "Orchard Road", unit: "#01-01", postalCode: "238801")))
        try await platform.passwordLogin.setPassword(password, for: citizen.subject)
        let router = Router(context: SmartNationRequestContext.self)
        IdentityRoutes(platform: platform, adminToken: adminToken).add(to: router)
        try await Application(router: router).test(.router) { client in
            try await body(IdentityHTTPFixture(platform: platform, subject: citizen.subject, client: client))
        }
    }

    /// Sends a request; returns the response.
    func send(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Sends a form-encoded POST.
    func postForm(_ uri: String, _ parameters: [(String, String)], headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, uri, headers: fields, body: Self.formEncoded(parameters))
    }

    /// Sends a JSON POST.
    func postJSON(_ uri: String, _ object: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        return try await send(.post, uri, headers: fields, body: body)
    }

    /// Registers a development client (`client_secret_basic`) through the admin API; returns its
    /// `Authorization: Basic` header value and its id.
    func registerDevelopmentClient(
        name: String = "HDB Portal", scopes: [String] = ["openid", "name"]
    ) async throws -> (authorization: String, clientID: String) {
        let response = try await postJSON(
            "/admin/identity/clients", ["name": name, "redirect_uris": [Self.redirectURI], "scopes": scopes],
            headers: [.authorization: "Bearer \(Self.adminToken)"])
        let json = try Self.json(response)
        guard response.status == .created, let clientID = json["client_id"]?.stringValue, let secret = json["client_secret"]?.stringValue else {
            throw FixtureFailure(description: "client registration answered \(response.status): \(String(buffer: response.body))")
        }
        return ("Basic " + Data("\(clientID):\(secret)".utf8).base64EncodedString(), clientID)
    }

    /// A valid pushed authorization request's form for `clientID`.
    static func parForm(clientID: String, scope: String = "openid name") -> [(String, String)] {
        [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI), ("scope", scope),
            ("state", "state-123"), ("nonce", "nonce-456"), ("code_challenge_method", "S256"),
            ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ]
    }

    /// Pushes a valid request for the client, with `extra` parameters; returns its `request_uri`.
    func pushRequest(authorization: String, clientID: String, scope: String = "openid name", adding extra: [(String, String)] = []) async throws -> String {
        let response = try await postForm("/oauth2/par", Self.parForm(clientID: clientID, scope: scope) + extra, headers: [.authorization: authorization])
        guard response.status == .created, let requestURI = try Self.json(response)["request_uri"]?.stringValue else {
            throw FixtureFailure(description: "PAR answered \(response.status): \(String(buffer: response.body))")
        }
        return requestURI
    }

    static func json(_ response: TestResponse) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
    }

    /// The `code` and `message_key` of a platform error body.
    static func errorCode(_ response: TestResponse) throws -> [String?] {
        guard let error = try json(response)["error"] else { return [] }
        return error.strings("code", "message_key")
    }

    /// Logs the fixture's citizen in with the password (and `otp` when given); the session's token.
    func sessionToken(otp: String? = nil) async throws -> String {
        var body: [String: Any] = ["identifier": Self.nric, "password": Self.password]
        if let otp { body["otp"] = otp }
        let response = try await postJSON("/api/identity/sessions", body)
        guard response.status == .created, let token = try Self.json(response)["token"]?.stringValue else {
            throw FixtureFailure(description: "login answered \(response.status)")
        }
        return token
    }

    static func formEncoded(_ parameters: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return parameters.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }
}

/// A fixture step that did not go as the test needs.
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
}

extension JSONValue {
    /// The elements, when this is an array.
    var arrayValue: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The members' values as strings, for compact expectations on an error body.
    func strings(_ names: String...) -> [String?] {
        names.map { self[$0]?.stringValue }
    }
}
