import Foundation
import HTTPTypes
import Hummingbird
import Identity
import NIOCore
import SmartNationCore
import SmartNationHTTP

/// The national PKI over HTTP.
///
/// - Public: `GET /pki/crl/issuing.crl` and `GET /pki/crl/root.crl` (DER CRLs of the issuing CA and
///   of the root), `GET /pki/ca/root.crt`, `GET /pki/ca/issuing.crt`
///   (DER), `GET /pki/ca/chain.pem`, and `POST /api/identity/signatures/verify`.
/// - Citizen app (session): `POST /api/identity/certificates` (CSR → certificate), `GET
///   /api/identity/certificates`, `POST /api/identity/certificates/{serial}/revoke`.
/// - Operators: `POST /admin/identity/device-certificates`, `POST /admin/identity/certificates/{serial}/revoke`.
struct PKIRoutes: Sendable {
    let platform: IdentityPlatform
    let citizenAPI: CitizenAPI
    let adminAPI: AdminAPI

    /// A certificate request: a PKCS#10 CSR in PEM.
    struct CertificateRequest: Decodable {
        let csr: String
    }

    /// A device certificate request.
    struct DeviceCertificateRequest: Decodable {
        let deviceID: String
        let csr: String

        enum CodingKeys: String, CodingKey {
            case deviceID = "device_id"
            case csr
        }
    }

    /// A revocation.
    struct RevocationRequest: Decodable {
        let reason: String
    }

    /// A detached CMS signature and the document, both base64.
    struct VerificationRequest: Decodable {
        let document: String
        let signature: String
    }

    /// The largest verification request body: a document of up to 512 KiB in base64 and its signature.
    static let verificationBodyBytesMax = 768 * 1024

    func add<Context: RequestContext>(to router: Router<Context>) {
        let platform = platform
        let citizenAPI = citizenAPI
        let adminAPI = adminAPI
        for role in AuthorityRole.allCases {
            router.get("/pki/crl/\(role.crlFileName)") { _, _ in
                Self.binary(try await platform.pki.currentCRL(of: role), type: "application/pkix-crl")
            }
        }
        router.get("/pki/ca/root.crt") { _, _ in
            try await platform.pki.renewAuthoritiesIfDue()
            return Self.binary(platform.pki.rootCertificate, type: "application/pkix-cert")
        }
        router.get("/pki/ca/issuing.crt") { _, _ in
            try await platform.pki.renewAuthoritiesIfDue()
            return Self.binary(platform.pki.issuingCertificate, type: "application/pkix-cert")
        }
        router.get("/pki/ca/chain.pem") { _, _ in
            try await platform.pki.renewAuthoritiesIfDue()
            let pem = platform.pki.chainPEM
            return Response(status: .ok, headers: [.contentType: "application/x-pem-file"], body: ResponseBody(byteBuffer: ByteBuffer(string: pem)))
        }
        router.post("/api/identity/signatures/verify") { request, context in
            var request = request
            let body = try await request.jsonBody(as: VerificationRequest.self, context: context, maximumBytes: Self.verificationBodyBytesMax)
            guard let document = Data(base64Encoded: body.document), let signature = Data(base64Encoded: body.signature) else {
                throw SmartNationError(.httpBodyInvalid, parameters: ["reason": "document and signature are base64"])
            }
            switch try await platform.pki.verifySignature(signature, of: document) {
            case .valid(let signer):
                return jsonResponse(.object([
                    "valid": .bool(true), "signer": .string(signer.subject), "serial_number": .string(signer.serialNumber),
                    "signing_time": .string(signer.signingTime.formatted(.iso8601)),
                ]))
            case .rejected(let reason):
                return jsonResponse(.object(["valid": .bool(false), "reason": .string(reason.rawValue)]))
            }
        }
        router.post("/api/identity/certificates") { request, context in
            let session = try await citizenAPI.session(of: request)
            var request = request
            let body = try await request.jsonBody(as: CertificateRequest.self, context: context)
            let issued = try await platform.pki.issueCitizenCertificate(subject: session.subject, signingRequest: Data(body.csr.utf8))
            return jsonResponse(Self.json(issued), status: .created)
        }
        router.get("/api/identity/certificates") { request, _ in
            let session = try await citizenAPI.session(of: request)
            let issued = try await platform.pki.certificates(kind: .citizen, subject: session.subject)
            return jsonResponse(.object(["certificates": .array(issued.map(Self.json))]))
        }
        router.post("/api/identity/certificates/{serial}/revoke") { request, context in
            let session = try await citizenAPI.session(of: request)
            let serial = try context.parameters.require("serial")
            var request = request
            let body = try await request.jsonBody(as: RevocationRequest.self, context: context)
            let reason = try await platform.pki.auditingRevocationRefusals(serialNumber: serial, requester: session.subject) {
                () async throws(SmartNationError) in
                guard let certificate = try await platform.pki.certificate(serialNumber: serial), certificate.kind == .citizen,
                      certificate.subject == session.subject else {
                    throw SmartNationError(.identityPKICertificateNotFound, httpStatus: 404)
                }
                return try Self.reason(body.reason)
            }
            return jsonResponse(Self.json(try await platform.pki.revoke(serialNumber: serial, reason: reason, requester: session.subject)))
        }
        router.post("/admin/identity/device-certificates") { request, context in
            try adminAPI.authorize(request)
            var request = request
            let body = try await request.jsonBody(as: DeviceCertificateRequest.self, context: context)
            let issued = try await platform.pki.issueDeviceCertificate(deviceID: body.deviceID, signingRequest: Data(body.csr.utf8))
            return jsonResponse(Self.json(issued), status: .created)
        }
        router.post("/admin/identity/certificates/{serial}/revoke") { request, context in
            try adminAPI.authorize(request)
            var request = request
            let body = try await request.jsonBody(as: RevocationRequest.self, context: context)
            let serial = try context.parameters.require("serial")
            let reason = try await platform.pki.auditingRevocationRefusals(serialNumber: serial, requester: nil) { () throws(SmartNationError) in
                try Self.reason(body.reason)
            }
            return jsonResponse(Self.json(try await platform.pki.revoke(serialNumber: serial, reason: reason)))
        }
    }

    private static func reason(_ text: String) throws(SmartNationError) -> RevocationReason {
        guard let reason = RevocationReason(rawValue: text) else {
            throw SmartNationError(.httpBodyInvalid, parameters: [
                "reason": "reason must be one of \(RevocationReason.allCases.map(\.rawValue).joined(separator: ", "))",
            ])
        }
        return reason
    }

    private static func binary(_ data: Data, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=60"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func json(_ certificate: IssuedCertificate) -> JSONValue {
        var body: [String: JSONValue] = [
            "serial_number": .string(certificate.serialNumber), "kind": .string(certificate.kind.rawValue),
            "subject": .string(certificate.subject), "not_before": .string(certificate.notBefore.formatted(.iso8601)),
            "not_after": .string(certificate.notAfter.formatted(.iso8601)), "certificate_pem": .string(certificate.pemEncoded),
        ]
        if let revocation = certificate.revocation {
            body["revoked_at"] = .string(revocation.date.formatted(.iso8601))
            body["revocation_reason"] = .string(revocation.reason.rawValue)
        }
        return .object(body)
    }
}
