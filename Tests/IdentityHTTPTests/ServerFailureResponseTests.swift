import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SmartNationCore
import SmartNationHTTP
import Testing

@testable import IdentityHTTP

@Suite("Server failure responses")
struct ServerFailureResponseTests {
    /// What GRDB throws when a statement fails: its message names the SQL it was running.
    static let databaseFailure = DatabaseError(
        resultCode: .SQLITE_CONSTRAINT, message: "UNIQUE constraint failed: oidc_device_authorization.user_code",
        sql: "INSERT INTO oidc_device_authorization (device_code_key, user_code) VALUES (?, ?)")

    @Test("a storage failure answers 503 with its code and message key; the database's message and SQL stay in the log")
    func storageFailureHidesItsCause() async throws {
        let router = Router(context: SmartNationRequestContext.self)
        router.get("/api") { _, _ -> String in throw SmartNationError.storage(Self.databaseFailure) }
        router.post("/oauth") { _, _ in await oauthEndpoint { () throws(SmartNationError) -> Response in throw .storage(Self.databaseFailure) } }
        router.get("/refused") { _, _ -> String in
            throw SmartNationError(.storageUnavailable, parameters: ["reason": "the name is too long", "name": "x"], httpStatus: 400)
        }
        try await Application(router: router).test(.router) { client in
            for (uri, method) in [("/api", HTTPRequest.Method.get), ("/oauth", .post)] {
                let response = try await client.execute(uri: uri, method: method)
                let body = String(buffer: response.body)
                #expect(response.status == .serviceUnavailable)
                #expect(body.contains(SmartNationError.Code.storageUnavailable.rawValue))
                #expect(!body.contains("INSERT"), "\(uri): \(body)")
                #expect(!body.contains("UNIQUE"), "\(uri): \(body)")
            }
            let refused = String(buffer: try await client.execute(uri: "/refused", method: .get).body)
            #expect(refused.contains("the name is too long"), "a refusal's reason is the client's to read")
        }
    }
}
