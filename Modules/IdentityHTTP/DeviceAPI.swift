import Foundation
import Hummingbird
import Identity
import SmartNationCore
import SmartNationHTTP

/// The citizen app's device-bound keys under `/api/identity`: a logged-in citizen registers, lists
/// and revokes devices; a device logs its citizen in by signing a challenge, with no password.
///
/// - `POST /devices` (session): `{"device_id", "display_name", "public_key", "password", "otp"}`, the
///   key P-256 X9.63 in base64; 201 with the device. A device key logs its citizen in alone, so
///   registering one takes the password and, once enrolled, a current code, as a login does
///   (``PasswordLogin/confirmPresence(of:password:oneTimeCode:clientAddress:)``) — checked, and the
///   code spent, only after the id, the key and the citizen's device count have passed.
/// - `GET /devices` (session): the citizen's devices, revoked ones included.
/// - `DELETE /devices/{device_id}` (session): revokes it; 204.
/// - `POST /device-challenges`: `{"device_id"}`; 201 with the nonce, its expiry and `signed_bytes`
///   (base64), the exact bytes the device signs; 400 `identity.device.id_invalid` when the id is
///   malformed. Nothing is stored and no device looked up (``DeviceKeyRegistry/challenge(deviceID:purpose:)``),
///   so the answer is the same whether or not a device has the id.
/// - `POST /device-sessions`: `{"nonce", "signature"}`, the signature ECDSA P-256 SHA-256 in DER,
///   base64; 201 with a session as `POST /sessions` answers, its methods `["hwk"]`; 429
///   `identity.login.locked_out` once the address is locked out; 401 with the outcome's code
///   otherwise (``DeviceLoginOutcome/refusal``): a wrong signature and an id no device
///   has both `identity.device.signature_invalid`, a revoked device's right one
///   `identity.device.not_active`.
struct DeviceAPI: Sendable {
    let platform: IdentityPlatform
    let citizenAPI: CitizenAPI

    struct Registration: Decodable {
        let deviceID: String
        let displayName: String
        let publicKey: String
        let password: String
        let otp: String?

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case displayName = "display_name"
            case publicKey = "public_key"
            case password, otp
        }
    }

    struct ChallengeRequest: Decodable {
        let deviceID: String

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
        }
    }

    struct Answer: Decodable {
        let nonce: String
        let signature: String
    }

    func add<Context: RemoteAddressRequestContext>(to router: Router<Context>) {
        let platform = platform
        let citizenAPI = citizenAPI
        let group = router.group("/api/identity")
        group.post("/devices") { request, context in
            let session = try await citizenAPI.session(of: request)
            var request = request
            let body = try await request.jsonBody(as: Registration.self, context: context)
            let clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
            // A key that is not base64 is refused (and audited) by the registry as any malformed key.
            let device = try await platform.devices.register(
                deviceID: body.deviceID, subject: session.subject, displayName: body.displayName,
                publicKey: Data(base64Encoded: body.publicKey) ?? Data(),
                confirmingPresence: { () async throws(SmartNationError) in
                    try await platform.passwordLogin.confirmPresence(
                        of: session.subject, password: body.password, oneTimeCode: body.otp, clientAddress: clientAddress)
                })
            return jsonResponse(Self.json(device), status: .created)
        }
        group.get("/devices") { request, _ in
            let session = try await citizenAPI.session(of: request)
            return jsonResponse(.object(["devices": .array(try await platform.devices.devices(of: session.subject).map(Self.json))]))
        }
        group.delete("/devices/{device_id}") { request, context in
            let session = try await citizenAPI.session(of: request)
            try await platform.devices.revoke(deviceID: try context.parameters.require("device_id"), of: session.subject)
            return Response(status: .noContent)
        }
        group.post("/device-challenges") { request, context in
            var request = request
            let body = try await request.jsonBody(as: ChallengeRequest.self, context: context)
            let challenge = try platform.devices.challenge(deviceID: body.deviceID, purpose: DeviceChallenge.loginPurpose)
            return jsonResponse(.object([
                "nonce": .string(challenge.nonce), "device_id": .string(challenge.deviceID), "purpose": .string(challenge.purpose),
                "expires_at": .string(challenge.expiresAt.formatted(.iso8601)),
                "signed_bytes": .string(challenge.signedBytes.base64EncodedString()),
            ]), status: .created)
        }
        group.post("/device-sessions") { request, context in
            var request = request
            let body = try await request.jsonBody(as: Answer.self, context: context)
            let clientAddress = context.remoteAddress?.ipAddress ?? "unknown"
            // A signature that is not base64 is a bad signature like any other: nothing is spent, the
            // failure is counted against the address and audited.
            let outcome = try await platform.devices.login(
                nonce: body.nonce, signature: Data(base64Encoded: body.signature) ?? Data(), clientAddress: clientAddress)
            guard case .verified(let subject) = outcome else {
                throw outcome.refusal ?? SmartNationError(.identityDeviceSignatureInvalid, httpStatus: 401)
            }
            return CitizenAPI.sessionResponse(
                try await platform.openSession(subject: subject, methods: ["hwk"], entityUEN: nil, clientAddress: clientAddress))
        }
    }

    private static func json(_ device: DeviceKey) -> JSONValue {
        .object([
            "device_id": .string(device.deviceID), "display_name": .string(device.displayName),
            "registered_at": .string(device.registeredAt.formatted(.iso8601)),
            "revoked_at": device.revokedAt.map { .string($0.formatted(.iso8601)) } ?? .null,
        ])
    }
}
