import Crypto
import Foundation
import GRDB
import SmartNationCore
import SwiftASN1
import Testing
import X509

@testable import Identity

@Suite("National PKI: issuing certificates from signing requests")
struct PKIIssuanceTests {
    @Test("a citizen's request gets a 2-year signing certificate naming only the opaque subject")
    func citizenCertificate() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (issued, key) = try await fixture.issueCitizen()
        let certificate = try Certificate(derEncoded: Array(issued.derEncoded))
        let issuing = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        #expect(certificate.subject.commonName == fixture.subject)
        #expect(!certificate.subject.description.contains("S9812381D"))
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(certificate.issuer == issuing.subject)
        #expect(issuing.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try certificate.extensions.keyUsage == KeyUsage(digitalSignature: true, nonRepudiation: true))
        #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.emailProtection]))
        #expect(try certificate.extensions.authorityKeyIdentifier?.keyIdentifier == issuing.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(certificate.notValidBefore == fixture.clock.now.addingTimeInterval(-NationalPKI.clockSkewAllowance),
                "dated back, so a relying party whose clock is a little slow does not find it not yet valid")
        #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) == 2 * 365 * 86_400)
        let distributionPoint = certificate.extensions.first { $0.oid == [2, 5, 29, 31] }
        #expect(distributionPoint.map { Data($0.value).range(of: Data("http://127.0.0.1:8080/pki/crl/issuing.crl".utf8)) != nil } == true)
        #expect(issued.serialNumber.count == 32)
        #expect(certificate.serialNumber.hexadecimal == issued.serialNumber)
        #expect(issued.kind == .citizen && issued.subject == fixture.subject && issued.revocation == nil)
        #expect(try await fixture.pki.certificate(serialNumber: issued.serialNumber.uppercased()) == issued)
        #expect(try await fixture.pki.certificates(kind: .citizen, subject: fixture.subject) == [issued])
    }

    @Test("issuing announces certificate.issued through the outbox")
    func issuedEvent() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let before = try await fixture.outboxEvents().count
        let (issued, _) = try await fixture.issueCitizen()
        let events = try await fixture.outboxEvents()
        #expect(events.count == before + 1)
        let event = try #require(events.last)
        #expect(event.subject == fixture.subject)
        #expect(
            try event.decodeData(as: CertificateIssued.self)
                == CertificateIssued(
                    serialNumber: issued.serialNumber, kind: .citizen, subject: fixture.subject,
                    notAfter: EventTimestamp.format(issued.notAfter)))
    }

    @Test("a lamp post's request gets a 1-year client certificate with unique serials")
    func deviceCertificates() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        var serials: Set<String> = []
        for _ in 0..<5 {
            let key = P256.Signing.PrivateKey()
            let issued = try await fixture.pki.issueDeviceCertificate(
                deviceID: "lamppost-0042", signingRequest: try signingRequest(commonName: "lamppost-0042", key: .init(key)))
            let certificate = try Certificate(derEncoded: Array(issued.derEncoded))
            #expect(certificate.subject.commonName == "lamppost-0042")
            #expect(try certificate.extensions.keyUsage == KeyUsage(digitalSignature: true, keyAgreement: true))
            #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
            #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) == 365 * 86_400)
            #expect(certificate.serialNumber.bytes.count == 16 && certificate.serialNumber.bytes.first! < 0x80)
            serials.insert(issued.serialNumber)
        }
        #expect(serials.count == 5)
        #expect(try await fixture.pki.certificates(kind: .device, subject: "lamppost-0042").count == 5)
        let events = try await fixture.outboxEvents().filter { $0.type == CertificateIssued.eventType }
        #expect(try events.map { try $0.decodeData(as: CertificateIssued.self).kind } == Array(repeating: .device, count: 5))
    }

    @Test("a PEM request is accepted as well as DER, and validities follow the configuration")
    func pemRequestAndConfiguredValidity() async throws {
        let fixture = try await PKIFixture.make(configuration: .init(deviceValidity: 30 * 86_400))
        defer { fixture.remove() }
        let der = try signingRequest(commonName: "lamppost-7", key: .init(P256.Signing.PrivateKey()))
        let pem = "-----BEGIN CERTIFICATE REQUEST-----\n\(der.base64EncodedString(options: .lineLength64Characters))\n-----END CERTIFICATE REQUEST-----\n"
        let issued = try await fixture.pki.issueDeviceCertificate(deviceID: "lamppost-7", signingRequest: Data(pem.utf8))
        #expect(issued.notAfter.timeIntervalSince(issued.notBefore) == 30 * 86_400)
    }

    static let rejections: [(String, SmartNationError.Code)] = [
        ("flipped signature byte", .identityPKICSRSignatureInvalid),
        ("another citizen's subject", .identityPKICSRSubjectNotAllowed),
        ("extra subject attribute", .identityPKICSRSubjectNotAllowed),
        ("P-384 key", .identityPKIKeyUnsupported),
        ("Ed25519 key", .identityPKIKeyUnsupported),
        ("garbage", .identityPKICSRMalformed),
        ("empty", .identityPKICSRMalformed),
        ("oversized", .identityPKICSRMalformed),
    ]

    @Test("a refused request has its own code, is audited, and stores nothing else", arguments: rejections)
    func refusedRequest(_ name: String, code: SmartNationError.Code) async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let request = try Self.request(name, subject: fixture.subject)
        let eventsBefore = try await fixture.outboxEvents().count
        await #expect(throws: SmartNationError(code)) {
            _ = try await fixture.pki.issueCitizenCertificate(subject: fixture.subject, signingRequest: request)
        }
        #expect(try await fixture.storedCertificateCount() == 0)
        let events = try await fixture.outboxEvents().dropFirst(eventsBefore)
        #expect(events.map(\.type) == [CertificateRequestRejected.eventType])
        #expect(try events.first?.decodeData(as: CertificateRequestRejected.self).code == code.rawValue)
    }

    @Test("a subject or device id that is not a plain identifier is refused")
    func subjectChecked() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        for deviceID in ["", "lamp post", "CN=x,O=y", String(repeating: "a", count: 65)] {
            let request = try signingRequest(commonName: deviceID, key: .init(P256.Signing.PrivateKey()))
            await #expect(throws: SmartNationError(.identityPKISubjectInvalid)) {
                _ = try await fixture.pki.issueDeviceCertificate(deviceID: deviceID, signingRequest: request)
            }
        }
        #expect(try await fixture.storedCertificateCount() == 0)
    }

    private static func request(_ name: String, subject: String) throws -> Data {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        switch name {
        case "flipped signature byte":
            var der = try signingRequest(commonName: subject, key: key)
            der[der.count - 1] ^= 0x01
            return der
        case "another citizen's subject":
            return try signingRequest(commonName: "someone-else", key: key)
        case "extra subject attribute":
            let request = try CertificateSigningRequest(
                version: .v1, subject: DistinguishedName { CommonName(subject); OrganizationName("Evil Corp") }, privateKey: key,
                attributes: .init())
            return try derEncoded(request)
        case "P-384 key":
            return try signingRequest(commonName: subject, key: .init(P384.Signing.PrivateKey()))
        case "Ed25519 key":
            return try signingRequest(commonName: subject, key: .init(Curve25519.Signing.PrivateKey()))
        case "garbage":
            return Data("this is not a certificate request".utf8)
        case "empty":
            return Data()
        default:
            return Data(repeating: 0x30, count: NationalPKI.signingRequestSizeMax + 1)
        }
    }

    @Test("a subject holds at most ten live certificates and is issued at most ten a day; the refusal is audited and stores nothing")
    func certificateLimit() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        var issued: [IssuedCertificate] = []
        for _ in 0..<NationalPKI.certificatesPerSubjectMax { issued.append(try await fixture.issueCitizen().0) }
        let limit = SmartNationError(.identityPKICertificateLimit, parameters: ["maximum": "10"], httpStatus: 409)
        await #expect(throws: limit) { _ = try await fixture.issueCitizen() }
        _ = try await fixture.pki.revoke(serialNumber: issued[0].serialNumber, reason: .superseded)
        await #expect(throws: limit, "ten were issued today, revoked or not") { _ = try await fixture.issueCitizen() }
        fixture.clock.advance(by: 86_401)
        _ = try await fixture.issueCitizen()
        await #expect(throws: limit, "ten live again") { _ = try await fixture.issueCitizen() }
        #expect(try await fixture.storedCertificateCount() == 11)
        let rejections = try await fixture.outboxEvents().filter { $0.type == CertificateRequestRejected.eventType }
        #expect(try rejections.map { try $0.decodeData(as: CertificateRequestRejected.self).code } == Array(repeating: "identity.pki.certificate_limit", count: 3))
    }
}
