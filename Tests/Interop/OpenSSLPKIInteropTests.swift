import Crypto
import Foundation
import SmartNationCore
import SwiftASN1
import Synchronization
import Testing
import X509

@testable import Identity

/// A national PKI over a fresh identity database, on the real clock unless a test gives another, and
/// an openssl scratch directory holding its root and issuing certificates as `root.pem` and `issuing.pem`.
private struct InteropFixture {
    let databaseDirectory: URL
    let pki: NationalPKI
    let openssl: OpenSSLTool

    static func make(clock: @escaping @Sendable () -> Date = Date.init) async throws -> InteropFixture {
        let databaseDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-interop-\(UUID().uuidString)")
        let database = try IdentityDatabase.open(in: databaseDirectory)
        let pki = try await NationalPKI.open(database: database, sealer: SecretSealer.random(), clock: clock)
        let openssl = try OpenSSLTool()
        try openssl.write(Data(PEMText.encode(pki.rootCertificate, label: "CERTIFICATE").utf8), to: "root.pem")
        try openssl.write(Data(PEMText.encode(pki.issuingCertificate, label: "CERTIFICATE").utf8), to: "issuing.pem")
        return InteropFixture(databaseDirectory: databaseDirectory, pki: pki, openssl: openssl)
    }

    /// Makes a P-256 key and a DER request for `CN=<commonName>` with `openssl req`, as a citizen's
    /// third-party software would; the key is left in `key.pem`.
    func opensslSigningRequest(commonName: String) async throws -> Data {
        #expect(try await openssl.run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem").status == 0)
        let request = try await openssl.run("req", "-new", "-key", "key.pem", "-subj", "/CN=\(commonName)", "-outform", "DER", "-out", "req.der")
        #expect(request.status == 0, "\(request.output)")
        return try openssl.read("req.der")
    }

    /// Writes the current CRL of the CA in `role` as `crl.pem` (the issuing CA's) or `root-crl.pem`,
    /// converted by `openssl crl -inform DER`.
    func writeCRL(of role: AuthorityRole = .issuing) async throws {
        let name = role == .issuing ? "crl" : "root-crl"
        try openssl.write(try await pki.currentCRL(of: role), to: "\(name).der")
        let conversion = try await openssl.run("crl", "-inform", "DER", "-in", "\(name).der", "-out", "\(name).pem")
        #expect(conversion.status == 0, "\(conversion.output)")
    }

    func remove() {
        openssl.remove()
        try? FileManager.default.removeItem(at: databaseDirectory)
    }
}

@Suite("National PKI against the openssl command-line tool")
struct OpenSSLPKIInteropTests {
    static let subject = "0f6f4c7e-2f51-4d0e-9a3b-6f1d2c3b4a59"
    static let document = Data("Sign with Singpass: tenancy agreement, 1 Punggol Field #12-34.\n".utf8)

    @Test("openssl verify trusts a certificate issued from an openssl req CSR, and reports it revoked after revocation")
    func verifyAndRevoke() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let issued = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(issued.pemEncoded.utf8), to: "leaf.pem")
        let trusted = try await fixture.openssl.run("verify", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(trusted.status == 0, "\(trusted.output)")
        let forSigning = try await fixture.openssl.run(
            "verify", "-purpose", "smimesign", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(forSigning.status == 0, "\(forSigning.output)")
        try await fixture.writeCRL()
        let beforeRevocation = try await fixture.openssl.run(
            "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(beforeRevocation.status == 0, "\(beforeRevocation.output)")
        let twoMinutesSlow = String(Int(Date().timeIntervalSince1970) - 120)
        let slowRelyingParty = try await fixture.openssl.run(
            "verify", "-attime", twoMinutesSlow, "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(slowRelyingParty.status == 0, "a relying party whose clock is two minutes slow finds the new certificate and CRL valid: \(slowRelyingParty.output)")

        _ = try await fixture.pki.revoke(serialNumber: issued.serialNumber, reason: .keyCompromise)
        try await fixture.writeCRL()
        let text = try await fixture.openssl.run("crl", "-in", "crl.pem", "-noout", "-text")
        #expect(text.output.contains(issued.serialNumber.uppercased()))
        #expect(text.output.contains("Key Compromise"))
        #expect(text.output.range(of: #"CRL Number:\s*\n\s*2\n"#, options: .regularExpression) != nil, "\(text.output)")
        let revoked = try await fixture.openssl.run(
            "verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(revoked.status != 0)
        #expect(revoked.output.contains("certificate revoked"), "\(revoked.output)")
    }

    @Test("openssl verify -crl_check_all checks the whole chain with both CAs' CRLs: it needs the root's, and still finds a revoked certificate")
    func wholeChainRevocationCheck() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let issued = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(issued.pemEncoded.utf8), to: "leaf.pem")
        try await fixture.writeCRL()
        let chainCheck = ["verify", "-crl_check_all", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "issuing.pem"]
        let withoutRootCRL = try await fixture.openssl.run(chainCheck + ["leaf.pem"])
        #expect(withoutRootCRL.status != 0, "without the root's CRL the issuing CA cannot be checked")
        #expect(withoutRootCRL.output.contains("unable to get certificate CRL"), "\(withoutRootCRL.output)")
        try await fixture.writeCRL(of: .root)
        let text = try await fixture.openssl.run("crl", "-in", "root-crl.pem", "-noout", "-text")
        #expect(text.output.contains("No Revoked Certificates"), "\(text.output)")
        let withRootCRL = ["-CRLfile", "root-crl.pem", "leaf.pem"]
        let trusted = try await fixture.openssl.run(chainCheck + withRootCRL)
        #expect(trusted.status == 0, "\(trusted.output)")
        let issuingText = try await fixture.openssl.run("x509", "-in", "issuing.pem", "-noout", "-ext", "crlDistributionPoints")
        #expect(issuingText.output.contains("/pki/crl/root.crl"), "\(issuingText.output)")

        _ = try await fixture.pki.revoke(serialNumber: issued.serialNumber, reason: .keyCompromise)
        try await fixture.writeCRL()
        let revoked = try await fixture.openssl.run(chainCheck + withRootCRL)
        #expect(revoked.status != 0)
        #expect(revoked.output.contains("certificate revoked"), "\(revoked.output)")
    }

    @Test("after the issuing CA's renewal openssl verifies, with the new chain and both CRLs, certificates issued before and after it, past the old certificate's end")
    func renewedIssuingAuthority() async throws {
        let clock = Mutex(Date())
        let fixture = try await InteropFixture.make(clock: { clock.withLock { $0 } })
        defer { fixture.remove() }
        let start = clock.withLock { $0 }
        let earlier = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(earlier.pemEncoded.utf8), to: "earlier.pem")
        let original = try Certificate(derEncoded: Array(fixture.pki.issuingCertificate))
        let renewalTime = original.notValidAfter.addingTimeInterval(-fixture.pki.issuingRenewalLead + 60)
        clock.withLock { $0 = renewalTime }
        let later = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(later.pemEncoded.utf8), to: "later.pem")
        try fixture.openssl.write(Data(PEMText.encode(fixture.pki.issuingCertificate, label: "CERTIFICATE").utf8), to: "renewed.pem")
        try fixture.openssl.write(Data(PEMText.encode(fixture.pki.rootCertificate, label: "CERTIFICATE").utf8), to: "root.pem")
        try await fixture.writeCRL()
        try await fixture.writeCRL(of: .root)

        func verify(_ leaf: String, with issuing: String, at time: Date, checkingCRLs: Bool = false) async throws -> (status: Int32, output: String) {
            let crls = checkingCRLs ? ["-crl_check_all", "-CRLfile", "crl.pem", "-CRLfile", "root-crl.pem"] : []
            return try await fixture.openssl.run(
                ["verify", "-attime", String(Int(time.timeIntervalSince1970))] + crls + ["-CAfile", "root.pem", "-untrusted", issuing, leaf])
        }
        let now = try await verify("later.pem", with: "renewed.pem", at: renewalTime.addingTimeInterval(60), checkingCRLs: true)
        #expect(now.status == 0, "\(now.output)")
        let before = try await verify("earlier.pem", with: "renewed.pem", at: start.addingTimeInterval(60))
        #expect(before.status == 0, "a certificate issued before the renewal chains to the renewed CA: \(before.output)")
        clock.withLock { $0 = original.notValidAfter.addingTimeInterval(-86_400) }
        let latest = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(latest.pemEncoded.utf8), to: "latest.pem")
        let pastOldEnd = original.notValidAfter.addingTimeInterval(86_400)
        let renewedChain = try await verify("latest.pem", with: "renewed.pem", at: pastOldEnd)
        #expect(renewedChain.status == 0, "a certificate issued a day before the old end lasts its full validity: \(renewedChain.output)")
        let oldChain = try await verify("latest.pem", with: "issuing.pem", at: pastOldEnd)
        #expect(oldChain.status != 0 && oldChain.output.contains("expired"), "the old certificate alone no longer serves: \(oldChain.output)")
    }

    @Test("openssl verify accepts a device certificate for TLS client authentication")
    func deviceCertificate() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let issued = try await fixture.pki.issueDeviceCertificate(
            deviceID: "lamppost-0042", signingRequest: try await fixture.opensslSigningRequest(commonName: "lamppost-0042"))
        try fixture.openssl.write(Data(issued.pemEncoded.utf8), to: "leaf.pem")
        let result = try await fixture.openssl.run(
            "verify", "-purpose", "sslclient", "-CAfile", "root.pem", "-untrusted", "issuing.pem", "leaf.pem")
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("openssl req with an RSA key is refused as an unsupported key")
    func rsaRequestRefused() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let request = try await fixture.openssl.run(
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.pem", "-subj", "/CN=\(Self.subject)", "-outform", "DER",
            "-out", "rsa.der")
        #expect(request.status == 0, "\(request.output)")
        await #expect(throws: SmartNationError(.identityPKIKeyUnsupported)) {
            _ = try await fixture.pki.issueCitizenCertificate(subject: Self.subject, signingRequest: try fixture.openssl.read("rsa.der"))
        }
    }

    @Test("openssl cms -verify accepts our detached signature with the default purpose and rejects a changed document")
    func opensslVerifiesOurSignature() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let key = P256.Signing.PrivateKey()
        let request = try CertificateSigningRequest(
            version: .v1, subject: DistinguishedName { CommonName(Self.subject) }, privateKey: .init(key), attributes: .init())
        let issued = try await fixture.pki.issueCitizenCertificate(subject: Self.subject, signingRequest: Data(request.derBytes()))
        let signature = try DocumentSigner.sign(
            Self.document, certificate: issued.derEncoded, chain: [fixture.pki.issuingCertificate], privateKey: key)
        try fixture.openssl.write(signature, to: "doc.p7s")
        try fixture.openssl.write(Self.document, to: "doc")
        try await fixture.writeCRL()
        try fixture.openssl.write(try fixture.openssl.read("root.pem") + fixture.openssl.read("crl.pem"), to: "chain.pem")
        let verified = try await fixture.openssl.run(
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "doc", "-CAfile", "chain.pem",
            "-crl_check", "-out", "verified.out")
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("Verification successful"))
        #expect(try fixture.openssl.read("verified.out") == Self.document)
        var tampered = Self.document
        tampered[0] ^= 0x20
        try fixture.openssl.write(tampered, to: "tampered")
        let refused = try await fixture.openssl.run(
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "tampered", "-CAfile", "root.pem",
            "-out", "refused.out")
        #expect(refused.status != 0, "\(refused.output)")
    }

    @Test("a detached signature made by openssl cms -sign is accepted by our verifier, and a changed document is not")
    func weVerifyOpensslSignature() async throws {
        let fixture = try await InteropFixture.make()
        defer { fixture.remove() }
        let issued = try await fixture.pki.issueCitizenCertificate(
            subject: Self.subject, signingRequest: try await fixture.opensslSigningRequest(commonName: Self.subject))
        try fixture.openssl.write(Data(issued.pemEncoded.utf8), to: "leaf.pem")
        try fixture.openssl.write(Self.document, to: "doc")
        let signed = try await fixture.openssl.run(
            "cms", "-sign", "-binary", "-in", "doc", "-signer", "leaf.pem", "-inkey", "key.pem", "-certfile", "issuing.pem",
            "-outform", "DER", "-out", "doc.p7s")
        #expect(signed.status == 0, "\(signed.output)")
        let signature = try fixture.openssl.read("doc.p7s")
        let outcome = try await fixture.pki.verifySignature(signature, of: Self.document)
        guard case .valid(let signer) = outcome else {
            Issue.record("openssl's signature was rejected: \(outcome)")
            return
        }
        #expect(signer.subject == Self.subject)
        #expect(signer.serialNumber == issued.serialNumber)
        #expect(abs(signer.signingTime.timeIntervalSinceNow) < 300)
        var tampered = Self.document
        tampered[0] ^= 0x20
        #expect(try await fixture.pki.verifySignature(signature, of: tampered) == .rejected(.contentMismatch))
    }
}

extension CertificateSigningRequest {
    /// The request in DER.
    fileprivate func derBytes() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(self)
        return serializer.serializedBytes
    }
}
