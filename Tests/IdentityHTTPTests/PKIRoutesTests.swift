import Crypto
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Identity
import SmartNationCore
import SwiftASN1
import Testing
import ToolSupport
import X509

@Suite("The national PKI over HTTP")
struct PKIRoutesTests {
    /// What `openssl crl` reads in a DER CRL: its text form.
    static func crlText(_ der: Data) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("crl-\(UUID().uuidString).der")
        defer { try? FileManager.default.removeItem(at: file) }
        try der.write(to: file)
        let outcome = try await ChildProcess.run(searchingPath: ["openssl", "crl", "-inform", "DER", "-in", file.path, "-noout", "-text"])
        try #require(outcome.status == 0, "openssl reads the CRL: \(outcome.standardError)")
        return outcome.standardOutput
    }

    @Test("a citizen gets a certificate for a CSR on a session, signs with it, and the verification API and the CRL follow its revocation")
    func certificateSignatureAndRevocation() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let session: HTTPFields = [.authorization: "Bearer \(try await fixture.sessionToken())"]
            let key = P256.Signing.PrivateKey()
            let csr = try CertificateSigningRequest(
                version: .v1, subject: DistinguishedName { CommonName(fixture.subject) }, privateKey: Certificate.PrivateKey(key),
                attributes: .init()).serializeAsPEM().pemString
            #expect(try await fixture.postJSON("/api/identity/certificates", ["csr": csr]).status == .unauthorized, "issuing needs a session")
            let malformed = try await fixture.postJSON("/api/identity/certificates", ["csr": "not a request"], headers: session)
            #expect(try IdentityHTTPFixture.errorCode(malformed).first == "identity.pki.csr_malformed")

            let issued = try await fixture.postJSON("/api/identity/certificates", ["csr": csr], headers: session)
            #expect(issued.status == .created)
            let certificate = try IdentityHTTPFixture.json(issued)
            let serial = try #require(certificate["serial_number"]?.stringValue)
            let pem = try #require(certificate["certificate_pem"]?.stringValue)
            let listed = try IdentityHTTPFixture.json(try await fixture.send(.get, "/api/identity/certificates", headers: session))
            #expect(listed["certificates"]?.arrayValue?.count == 1)

            let issuingCA = try await fixture.send(.get, "/pki/ca/issuing.crt")
            #expect(issuingCA.headers[.contentType] == "application/pkix-cert")
            let document = Data("Lease of HDB flat, Blk 5 Tampines Ave 1".utf8)
            let signature = try DocumentSigner.sign(
                document, certificate: Data(try Certificate(pemEncoded: pem).serializeAsPEM().derBytes),
                chain: [Data(issuingCA.body.readableBytesView)], privateKey: key)
            func verify(_ signed: Data) async throws -> JSONValue {
                try IdentityHTTPFixture.json(try await fixture.postJSON(
                    "/api/identity/signatures/verify", ["document": signed.base64EncodedString(), "signature": signature.base64EncodedString()]))
            }
            let valid = try await verify(document)
            #expect(valid["valid"] == .bool(true))
            #expect(valid["signer"]?.stringValue == fixture.subject)
            #expect(try await verify(document + Data("!".utf8))["reason"]?.stringValue == SignatureRejection.contentMismatch.rawValue)

            let crl = try await fixture.send(.get, "/pki/crl/issuing.crl")
            #expect(crl.status == .ok)
            #expect(crl.headers[.contentType] == "application/pkix-crl")
            #expect(try await Self.crlText(Data(crl.body.readableBytesView)).contains("No Revoked Certificates"))

            let revoked = try await fixture.postJSON("/api/identity/certificates/\(serial)/revoke", ["reason": "keyCompromise"], headers: session)
            #expect(revoked.status == .ok)
            let reissued = try await Self.crlText(Data(try await fixture.send(.get, "/pki/crl/issuing.crl").body.readableBytesView))
            #expect(reissued.uppercased().contains(serial.uppercased()), "the CRL served lists the revoked serial")
            #expect(reissued.contains("Key Compromise"))
            #expect(try await verify(document)["reason"]?.stringValue == SignatureRejection.revoked.rawValue)

            let rootCRL = try await fixture.send(.get, "/pki/crl/root.crl")
            #expect(rootCRL.status == .ok)
            #expect(rootCRL.headers[.contentType] == "application/pkix-crl")
            let rootText = try await Self.crlText(Data(rootCRL.body.readableBytesView))
            #expect(rootText.contains("CN = Smart Nation Root CA") && rootText.contains("No Revoked Certificates"),
                    "the root's own CRL, listing no CA and not the revoked certificate: \(rootText)")
        }
    }

    /// Issues the fixture's citizen a certificate for a new key, as the certificates route does.
    static func issueCertificate(_ fixture: IdentityHTTPFixture) async throws -> IssuedCertificate {
        let csr = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName { CommonName(fixture.subject) }, privateKey: Certificate.PrivateKey(P256.Signing.PrivateKey()),
            attributes: .init()).serializeAsPEM().pemString
        return try await fixture.platform.pki.issueCitizenCertificate(subject: fixture.subject, signingRequest: Data(csr.utf8))
    }

    static let operatorToken: HTTPFields = [.authorization: "Bearer \(IdentityHTTPFixture.adminToken)"]

    @Test("closing a citizen revokes its certificates as cessationOfOperation, on the CRL, and a closed account gets no more")
    func closingRevokesCertificates() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let first = try await Self.issueCertificate(fixture)
            let closed = try await fixture.postJSON("/admin/identity/citizens/\(fixture.subject)/close", ["reason": "deceased"], headers: Self.operatorToken)
            #expect(closed.status == .ok)
            #expect(try await fixture.platform.pki.certificate(serialNumber: first.serialNumber)?.revocation?.reason == .cessationOfOperation)
            let crl = try await Self.crlText(Data(try await fixture.send(.get, "/pki/crl/issuing.crl").body.readableBytesView))
            #expect(crl.uppercased().contains(first.serialNumber.uppercased()) && crl.contains("Cessation Of Operation"))
            await #expect(throws: SmartNationError(.identityCitizenClosed, httpStatus: 409)) { _ = try await Self.issueCertificate(fixture) }
            #expect(try await fixture.platform.pki.certificates(kind: .citizen, subject: fixture.subject).count == 1)
        }
    }

    @Test("closing again answers 409 and revokes what a closing that stopped after its first step left live")
    func closingAgainCompletesIt() async throws {
        try await IdentityHTTPFixture.run { fixture in
            let certificate = try await Self.issueCertificate(fixture)
            _ = try await fixture.platform.citizens.close(subject: fixture.subject, reason: "deceased")
            #expect(try await fixture.platform.pki.certificate(serialNumber: certificate.serialNumber)?.revocation == nil)
            let again = try await fixture.postJSON("/admin/identity/citizens/\(fixture.subject)/close", ["reason": "deceased"], headers: Self.operatorToken)
            #expect(again.status == .conflict)
            #expect(try IdentityHTTPFixture.errorCode(again).first == "identity.citizen.closed")
            #expect(try await fixture.platform.pki.certificate(serialNumber: certificate.serialNumber)?.revocation?.reason == .cessationOfOperation)
            let events = try await fixture.platform.database.read { db in
                try Outbox.pending(limit: 10_000, in: db).map(\.event.type)
            }
            #expect(events.filter { $0 == CertificateRevoked.eventType }.count == 1)
        }
    }
}
