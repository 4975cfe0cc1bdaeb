import Crypto
import Foundation
import SmartNationCore
import SwiftASN1
import Testing
import X509

@testable import Identity

@Suite("National PKI: CMS document signatures")
struct PKISignatureTests {
    static let document = Data("I, the undersigned, agree to the tenancy terms of 1 Punggol Field #12-34.\n".utf8)

    private func sign(
        _ fixture: PKIFixture, _ certificate: IssuedCertificate, _ key: P256.Signing.PrivateKey, at time: Date? = nil,
        document: Data = Self.document
    ) throws -> Data {
        try DocumentSigner.sign(
            document, certificate: certificate.derEncoded, chain: [fixture.pki.issuingCertificate], privateKey: key,
            signingTime: time ?? fixture.clock.now)
    }

    @Test("a citizen's detached signature verifies, naming the signer and the signing time")
    func validSignature() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        fixture.clock.advance(by: 3_600)
        let signature = try sign(fixture, certificate, key)
        let outcome = try await fixture.pki.verifySignature(signature, of: Self.document)
        #expect(
            outcome
                == .valid(SignatureSigner(subject: fixture.subject, serialNumber: certificate.serialNumber, signingTime: fixture.clock.now)))
    }

    @Test("a changed document is a content mismatch")
    func tamperedDocument() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        let signature = try sign(fixture, certificate, key)
        var tampered = Self.document
        tampered[5] ^= 0x20
        #expect(try await fixture.pki.verifySignature(signature, of: tampered) == .rejected(.contentMismatch))
    }

    @Test("a changed signature value is an invalid signature")
    func tamperedSignature() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        var signature = try sign(fixture, certificate, key)
        signature[signature.count - 1] ^= 0x01
        #expect(try await fixture.pki.verifySignature(signature, of: Self.document) == .rejected(.signatureInvalid))
    }

    @Test("a revoked signer is rejected, whatever signing time it claims")
    func revokedSigner() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        let signedBefore = try sign(fixture, certificate, key)
        fixture.clock.advance(by: 86_400)
        _ = try await fixture.pki.revoke(serialNumber: certificate.serialNumber, reason: .keyCompromise)
        let signedAfter = try sign(fixture, certificate, key)
        #expect(try await fixture.pki.verifySignature(signedBefore, of: Self.document) == .rejected(.revoked))
        #expect(try await fixture.pki.verifySignature(signedAfter, of: Self.document) == .rejected(.revoked))
    }

    @Test("a signer certified by another CA is untrusted")
    func foreignAuthority() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let foreign = try await PKIFixture.make()
        defer { foreign.remove() }
        let (certificate, key) = try await foreign.issueCitizen()
        let signature = try sign(foreign, certificate, key)
        #expect(try await foreign.pki.verifySignature(signature, of: Self.document) != .rejected(.chainUntrusted))
        #expect(try await fixture.pki.verifySignature(signature, of: Self.document) == .rejected(.chainUntrusted))
    }

    @Test("a device certificate cannot sign documents")
    func deviceCannotSign() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let key = P256.Signing.PrivateKey()
        let certificate = try await fixture.pki.issueDeviceCertificate(
            deviceID: "lamppost-1", signingRequest: try signingRequest(commonName: "lamppost-1", key: .init(key)))
        let signature = try sign(fixture, certificate, key)
        #expect(try await fixture.pki.verifySignature(signature, of: Self.document) == .rejected(.chainUntrusted))
    }

    @Test("a signing time outside the certificate's validity is rejected as expired at signing")
    func signingTimeOutsideValidity() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        let late = try sign(fixture, certificate, key, at: certificate.notAfter.addingTimeInterval(60))
        let early = try sign(fixture, certificate, key, at: certificate.notBefore.addingTimeInterval(-60))
        let inside = try sign(fixture, certificate, key, at: certificate.notAfter.addingTimeInterval(-60))
        #expect(try await fixture.pki.verifySignature(late, of: Self.document) == .rejected(.expiredAtSigning))
        #expect(try await fixture.pki.verifySignature(early, of: Self.document) == .rejected(.expiredAtSigning))
        fixture.clock.advance(by: 2 * 365 * 86_400 + 3_600)
        #expect(
            try await fixture.pki.verifySignature(inside, of: Self.document)
                == .valid(
                    SignatureSigner(
                        subject: fixture.subject, serialNumber: certificate.serialNumber,
                        signingTime: certificate.notAfter.addingTimeInterval(-60))))
    }

    @Test("a signing time beyond the clock's skew is rejected as signed in the future; within it the signature is valid")
    func signingTimeInFuture() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, key) = try await fixture.issueCitizen()
        let ahead = try sign(fixture, certificate, key, at: fixture.clock.now.addingTimeInterval(30 * 86_400))
        let fast = try sign(fixture, certificate, key, at: fixture.clock.now.addingTimeInterval(SignatureVerifier.clockSkewMax - 10))
        #expect(try await fixture.pki.verifySignature(ahead, of: Self.document) == .rejected(.signedInFuture))
        guard case .valid = try await fixture.pki.verifySignature(fast, of: Self.document) else {
            Issue.record("a signer's clock a little fast is tolerated")
            return
        }
        fixture.clock.advance(by: 31 * 86_400)
        guard case .valid = try await fixture.pki.verifySignature(ahead, of: Self.document) else {
            Issue.record("once its time has come the signature verifies")
            return
        }
    }

    @Test("bytes that are not a detached CMS signature are malformed")
    func malformedSignature() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        #expect(try await fixture.pki.verifySignature(Data("not a signature".utf8), of: Self.document) == .rejected(.malformed))
        #expect(try await fixture.pki.verifySignature(Data(), of: Self.document) == .rejected(.malformed))
        #expect(try await fixture.pki.verifySignature(fixture.pki.rootCertificate, of: Self.document) == .rejected(.malformed))
        await #expect(throws: SmartNationError(.identityPKIInputTooLarge)) {
            _ = try await fixture.pki.verifySignature(Data(count: NationalPKI.signatureSizeMax + 1), of: Self.document)
        }
    }

    @Test("signing with a key that is not the certificate's is refused")
    func mismatchedKey() async throws {
        let fixture = try await PKIFixture.make()
        defer { fixture.remove() }
        let (certificate, _) = try await fixture.issueCitizen()
        #expect(throws: SmartNationError(.identityPKISignerInvalid)) {
            _ = try sign(fixture, certificate, P256.Signing.PrivateKey())
        }
        #expect(throws: SmartNationError(.identityPKISignerInvalid)) {
            _ = try DocumentSigner.sign(Self.document, certificate: Data("junk".utf8), privateKey: P256.Signing.PrivateKey())
        }
    }
}
