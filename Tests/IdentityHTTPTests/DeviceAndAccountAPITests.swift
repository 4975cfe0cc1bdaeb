import Crypto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import SmartNationCore
import Testing

@Suite("The citizen app's devices, sessions and second factors over HTTP")
struct DeviceAndAccountAPITests {
    /// A registration of `key` as the device `pixel-9`, with the fixture citizen's password.
    static func registration(of key: P256.Signing.PrivateKey) -> [String: Any] {
        [
            "device_id": "pixel-9", "display_name": "Pixel 9", "public_key": key.publicKey.x963Representation.base64EncodedString(),
            "password": IdentityHTTPFixture.password,
        ]
    }

    /// Asks for a challenge for `deviceID` (which must be issued) and answers it signed by `signer`.
    static func answerChallenge(
        for deviceID: String, signingWith signer: P256.Signing.PrivateKey, on fixture: IdentityHTTPFixture
    ) async throws -> (nonce: String, signature: String, response: TestResponse) {
        let issued = try await fixture.postJSON("/api/identity/device-challenges", ["device_id": deviceID])
        #expect(issued.status == .created, "a challenge is issued for any well-formed id")
        let challenge = try IdentityHTTPFixture.json(issued)
        let nonce = try #require(challenge["nonce"]?.stringValue)
        let signedText = try #require(challenge["signed_bytes"]?.stringValue)
        let signedBytes = try #require(Data(base64Encoded: signedText))
        let signature = try signer.signature(for: signedBytes).derRepresentation.base64EncodedString()
        return (nonce, signature, try await fixture.postJSON("/api/identity/device-sessions", ["nonce": nonce, "signature": signature]))
    }

    @Test("a device registered on a session logs its citizen in by signing a challenge; other answers get their own codes")
    func deviceLogin() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let session: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            let key = P256.Signing.PrivateKey()
            let registration = Self.registration(of: key)
            #expect(try await fixture.postJSON("/api/identity/devices", registration).status == .unauthorized, "registering needs a session")
            var guessed = registration
            guessed["password"] = "not-the-password"
            let refusedPassword = try await fixture.postJSON("/api/identity/devices", guessed, headers: session)
            #expect(try IdentityHTTPFixture.errorCode(refusedPassword).first == "identity.login.wrong_credentials",
                    "a session alone does not register a key that logs in by itself")
            var badKey = registration
            badKey["public_key"] = "not base64!"
            let refusedKey = try await fixture.postJSON("/api/identity/devices", badKey, headers: session)
            #expect(try IdentityHTTPFixture.errorCode(refusedKey).first == "identity.device.key_invalid")
            #expect(try await fixture.postJSON("/api/identity/devices", registration, headers: session).status == .created)
            let listed = try IdentityHTTPFixture.json(try await fixture.send(.get, "/api/identity/devices", headers: session))
            let devices = try #require(listed["devices"]?.arrayValue)
            #expect(devices.count == 1)
            #expect(devices.first?["device_id"]?.stringValue == "pixel-9")
            #expect(devices.first?["revoked_at"] == .null)

            func answer(signingWith signer: P256.Signing.PrivateKey) async throws -> (nonce: String, signature: String, response: TestResponse) {
                try await Self.answerChallenge(for: "pixel-9", signingWith: signer, on: fixture)
            }
            let (nonce, rightSignature, verified) = try await answer(signingWith: key)
            #expect(verified.status == .created)
            let deviceSession = try IdentityHTTPFixture.json(verified)
            #expect(deviceSession["methods"] == .array([.string("hwk")]))
            #expect(deviceSession["subject"]?.stringValue == fixture.subject)
            let deviceToken = try #require(deviceSession["token"]?.stringValue)
            #expect(try await fixture.send(.get, "/api/identity/consents", headers: [.authorization: "Bearer \(deviceToken)"]).status == .ok)

            let replayed = try await fixture.postJSON("/api/identity/device-sessions", ["nonce": nonce, "signature": rightSignature])
            #expect(replayed.status == .unauthorized)
            #expect(try IdentityHTTPFixture.errorCode(replayed) == ["identity.device.challenge_replayed", "error.identity.device.challenge_replayed"])
            let signature = try key.signature(for: Data("anything".utf8)).derRepresentation.base64EncodedString()
            let unknown = try await fixture.postJSON("/api/identity/device-sessions", ["nonce": "never-issued", "signature": signature])
            #expect(try IdentityHTTPFixture.errorCode(unknown).first == "identity.device.challenge_unknown")
            let forged = try await answer(signingWith: P256.Signing.PrivateKey()).response
            #expect(try IdentityHTTPFixture.errorCode(forged).first == "identity.device.signature_invalid")
            let garbled = try IdentityHTTPFixture.json(try await fixture.postJSON("/api/identity/device-challenges", ["device_id": "pixel-9"]))
            let garbledNonce = try #require(garbled["nonce"]?.stringValue)
            let notBase64 = try await fixture.postJSON("/api/identity/device-sessions", ["nonce": garbledNonce, "signature": "not base64!"])
            #expect(try IdentityHTTPFixture.errorCode(notBase64).first == "identity.device.signature_invalid")
            let afterGarbled = try await fixture.postJSON("/api/identity/device-sessions", ["nonce": garbledNonce, "signature": signature])
            #expect(try IdentityHTTPFixture.errorCode(afterGarbled).first == "identity.device.signature_invalid",
                    "a signature that is not even base64 is a wrong signature like any other, and spends nothing")

            #expect(try await fixture.send(.delete, "/api/identity/devices/pixel-9", headers: session).status == .noContent)
            let malformed = try await fixture.postJSON("/api/identity/device-challenges", ["device_id": "pixel-9\nlogin"])
            #expect(try IdentityHTTPFixture.errorCode(malformed).first == "identity.device.id_invalid")
            let again = try await fixture.send(.delete, "/api/identity/devices/pixel-9", headers: session)
            #expect(try IdentityHTTPFixture.errorCode(again).first == "identity.device.not_found")
        }
    }

    @Test("a challenge does not tell whether a device has the id: an unknown id fails as a wrong signature, a revoked device's own signature learns it is revoked")
    func unknownAndRevokedDevices() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let session: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            let key = P256.Signing.PrivateKey()
            let registration = Self.registration(of: key)
            #expect(try await fixture.postJSON("/api/identity/devices", registration, headers: session).status == .created)
            let stranger = try await Self.answerChallenge(for: "no-such-device", signingWith: key, on: fixture).response
            #expect(stranger.status == .unauthorized)
            #expect(try IdentityHTTPFixture.errorCode(stranger).first == "identity.device.signature_invalid")
            #expect(try await fixture.send(.delete, "/api/identity/devices/pixel-9", headers: session).status == .noContent)
            let revoked = try await Self.answerChallenge(for: "pixel-9", signingWith: key, on: fixture).response
            #expect(revoked.status == .unauthorized)
            #expect(try IdentityHTTPFixture.errorCode(revoked).first == "identity.device.not_active")
        }
    }

    @Test("a citizen lists and revokes sessions, enrols TOTP and gets recovery codes with their password and current code; a login then needs the second factor")
    func sessionsAndSecondFactor() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let first: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            let second: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            let listed = try IdentityHTTPFixture.json(try await fixture.send(.get, "/api/identity/sessions", headers: first))
            let sessions = try #require(listed["sessions"]?.arrayValue)
            #expect(sessions.count == 2)
            let other = try #require(sessions.first { $0["current"] == .bool(false) }?["session_id"]?.stringValue)
            #expect(try await fixture.send(.delete, "/api/identity/sessions/\(other)", headers: first).status == .noContent)
            #expect(try await fixture.send(.get, "/api/identity/consents", headers: second).status == .unauthorized)
            let unknown = try await fixture.send(.delete, "/api/identity/sessions/\(other)", headers: first)
            #expect(try IdentityHTTPFixture.errorCode(unknown).first == "identity.session.not_found")

            let password = IdentityHTTPFixture.password
            let bare = try await fixture.send(.post, "/api/identity/totp", headers: first)
            #expect(bare.status == .badRequest, "a session alone does not change the second factor")
            let guessed = try await fixture.postJSON("/api/identity/totp", ["password": "not-the-password"], headers: first)
            #expect(try IdentityHTTPFixture.errorCode(guessed).first == "identity.login.wrong_credentials")
            let enrolled = try IdentityHTTPFixture.json(try await fixture.postJSON("/api/identity/totp", ["password": password], headers: first))
            let uri = try #require(enrolled["otpauth_uri"]?.stringValue)
            #expect(uri.hasPrefix("otpauth://totp/"))
            let secret = try #require(URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value)
            let authenticator = TOTPGenerator(secret: try TOTPSecret(base32: secret))
            let unconfirmed = try await fixture.postJSON(
                "/api/identity/sessions", ["identifier": IdentityHTTPFixture.nric, "password": password])
            #expect(unconfirmed.status == .created, "an enrolment waiting for its first code takes no part in logins")
            let wrongCode = try await fixture.postJSON("/api/identity/totp/confirm", ["otp": "12345"], headers: first)
            #expect(try IdentityHTTPFixture.errorCode(wrongCode).first == "identity.totp.code_wrong")
            let confirmed = try await fixture.postJSON("/api/identity/totp/confirm", ["otp": authenticator.code(at: Date())], headers: first)
            #expect(confirmed.status == .noContent)
            let again = try await fixture.postJSON("/api/identity/totp/confirm", ["otp": authenticator.code(at: Date())], headers: first)
            #expect(try IdentityHTTPFixture.errorCode(again).first == "identity.totp.not_pending")

            let passwordAlone = try await fixture.postJSON("/api/identity/totp", ["password": password], headers: first)
            #expect(try IdentityHTTPFixture.errorCode(passwordAlone).first == "identity.login.second_factor_required",
                    "once enrolled, replacing the authenticator takes a code from it")
            let issued = try IdentityHTTPFixture.json(try await fixture.postJSON(
                "/api/identity/recovery-codes", ["password": password, "otp": authenticator.code(at: Date().addingTimeInterval(30))], headers: first))
            let codes = try #require(issued["codes"]?.arrayValue)
            #expect(codes.count == 10)

            let recoveryCode = try #require(codes.first?.stringValue)
            let passwordOnly = try await fixture.postJSON(
                "/api/identity/sessions", ["identifier": IdentityHTTPFixture.nric, "password": IdentityHTTPFixture.password])
            #expect(try IdentityHTTPFixture.errorCode(passwordOnly).first == "identity.login.second_factor_required")
            let recovered = try await fixture.postJSON(
                "/api/identity/sessions",
                ["identifier": IdentityHTTPFixture.nric, "password": IdentityHTTPFixture.password, "otp": recoveryCode])
            #expect(recovered.status == .created)
            #expect(try IdentityHTTPFixture.json(recovered)["methods"] == .array([.string("pwd"), .string("otp")]))
        }
    }
}

@Suite("The operators' citizen registry over HTTP")
struct AdminCitizensAPITests {
    static let operatorToken: HTTPFields = [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"]

    static func registration(nric: String) -> [String: Any] {
        [
            "nric": nric, "name": "Siti Nurhaliza", "date_of_birth": "1979-01-11", "sex": "F", "nationality": "SINGAPORE CITIZEN",
            "address": ["block": "5", "street": "Tampines Avenue 1", "postal_code": "529757"], "preferred_language": "ms",
        ]
    }

    @Test("an operator registers a citizen under an opaque subject; a bad or taken NRIC gets its own code, audited, nothing stored")
    func register() async throws {
        try await IdentityHTTPFixture.run { fixture in
            #expect(try await fixture.postJSON("/admin/identity/citizens", Self.registration(nric: "T0123456G")).status == .unauthorized)
            let created = try await fixture.postJSON("/admin/identity/citizens", Self.registration(nric: "T0123456G"), headers: Self.operatorToken)
            #expect(created.status == .created)
            let citizen = try IdentityHTTPFixture.json(created)
            let subject = try #require(citizen["subject"]?.stringValue)
            #expect(!subject.contains("0123456"), "the subject is opaque")
            #expect(citizen["nric"]?.stringValue == "*****456G")
            #expect(try await fixture.platform.citizens.citizen(subject: subject)?.preferredLanguage == .malay)

            for (nric, code) in [("T0123456A", "identity.nric.checksum"), ("X123", "identity.nric.malformed"), ("T0123456G", "identity.citizen.exists")] {
                let refused = try await fixture.postJSON("/admin/identity/citizens", Self.registration(nric: nric), headers: Self.operatorToken)
                #expect(try IdentityHTTPFixture.errorCode(refused).first == code, "\(nric)")
            }
            let types = try await fixture.platform.database.read { db in
                try Outbox.pending(limit: 10_000, in: db).map(\.event.type)
            }
            #expect(types.filter { $0 == CitizenRegistrationRejected.eventType }.count == 3, "each refusal is audited")
            #expect(types.filter { $0 == CitizenRegistered.eventType }.count == 2, "the fixture's citizen and this one, nothing more")
        }
    }

    @Test("a registration whose address or body is malformed is refused with its own code, audited, and stores nothing")
    func malformedRegistration() async throws {
        try await IdentityHTTPFixture.run { fixture in
            var badAddress = Self.registration(nric: "T0123456G")
            badAddress["address"] = ["block": "5", "street": "Tampines Avenue 1", "postal_code": "52975"]
            var badSex = Self.registration(nric: "T0123456G")
            badSex["sex"] = "X"
            for (body, code) in [(badAddress, "identity.address.invalid"), (badSex, "core.http.body_invalid")] {
                let refused = try await fixture.postJSON("/admin/identity/citizens", body, headers: Self.operatorToken)
                #expect(refused.status == .badRequest)
                #expect(try IdentityHTTPFixture.errorCode(refused).first == code)
            }
            let rejections = try await fixture.platform.database.read { db in
                try Outbox.pending(limit: 10_000, in: db).map(\.event)
            }.filter { $0.type == CitizenRegistrationRejected.eventType }.map { try $0.decodeData(as: CitizenRegistrationRejected.self).code }
            #expect(rejections == ["identity.address.invalid", "core.http.body_invalid"])
            #expect(try await fixture.platform.citizens.citizen(nric: "T0123456G") == nil)
        }
    }

    @Test("closing a citizen through the operator API ends its sessions at once")
    func close() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let session: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            #expect(try await fixture.send(.get, "/api/identity/consents", headers: session).status == .ok)
            let closed = try await fixture.postJSON("/admin/identity/citizens/\(fixture.subject)/close", ["reason": "deceased"], headers: Self.operatorToken)
            #expect(closed.status == .ok)
            #expect(try IdentityHTTPFixture.json(closed)["status"]?.stringValue == "closed")
            #expect(try await fixture.send(.get, "/api/identity/consents", headers: session).status == .unauthorized)
            let again = try await fixture.postJSON("/admin/identity/citizens/\(fixture.subject)/close", ["reason": "again"], headers: Self.operatorToken)
            #expect(try IdentityHTTPFixture.errorCode(again).first == "identity.citizen.closed")
        }
    }
}
